import { describe, expect, it } from 'vitest';
import { e6ToRad, EARTH_RADIUS_KM, haversineKm, haversineRadKm } from './geo.js';

describe('haversine distance', () => {
  it('one degree of longitude on the equator is 2πR/360', () => {
    // 2 × π × 6371.0088 / 360 = 111.19508… km
    expect(haversineKm(0, 0, 0, 1)).toBeCloseTo((2 * Math.PI * EARTH_RADIUS_KM) / 360, 9);
    expect(haversineKm(0, 0, 0, 1)).toBeCloseTo(111.195, 3);
  });

  it('pole to pole and antipodes are half the circumference, πR', () => {
    expect(haversineKm(90, 0, -90, 0)).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(20015.114, 3);
  });

  it('is symmetric and zero at one point', () => {
    expect(haversineKm(34.6197, 112.454, 34.6197, 112.454)).toBe(0);
    expect(haversineKm(34.6197, 112.454, 35.7617, 115.0292)).toBeCloseTo(haversineKm(35.7617, 115.0292, 34.6197, 112.454), 9);
  });

  it('Luoyang to Puyang is about 266 km; Beijing to Shanghai about 1067 km', () => {
    expect(haversineKm(34.6197, 112.454, 35.7617, 115.0292)).toBeCloseTo(266.23, 1);
    expect(haversineKm(39.9042, 116.4074, 31.2304, 121.4737)).toBeCloseTo(1067.3, 0);
  });

  it('the radian form on degrees × 10^6 agrees', () => {
    const [la1, lo1, la2, lo2] = [34_619_700, 112_454_000, 35_761_700, 115_029_200].map(e6ToRad) as [number, number, number, number];
    expect(haversineRadKm(la1, lo1, Math.cos(la1), la2, lo2, Math.cos(la2))).toBeCloseTo(haversineKm(34.6197, 112.454, 35.7617, 115.0292), 9);
  });
});
