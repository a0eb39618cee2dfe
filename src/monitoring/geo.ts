/**
 * Distance on the earth (球面距离) between two institutions, by the haversine formula on a sphere of
 * the mean earth radius (IUGG, 6371.0088 km). Good to about 0.5 % against the ellipsoid: enough to
 * tell a lent card (借卡) from two visits in one town, not a survey.
 */

/** The mean earth radius R1 (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/**
 * Great-circle distance in km between two points given in radians, with the cosine of each latitude
 * precomputed (a rule compares many pairs of few institutions).
 */
export function haversineRadKm(lat1: number, lon1: number, cosLat1: number, lat2: number, lon2: number, cosLat2: number): number {
  const sLat = Math.sin((lat2 - lat1) / 2);
  const sLon = Math.sin((lon2 - lon1) / 2);
  const a = sLat * sLat + cosLat1 * cosLat2 * sLon * sLon;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Great-circle distance in km between two points in degrees (WGS-84 latitude and longitude).
 *
 * @example haversineKm(34.6197, 112.4540, 35.7617, 115.0292) // about 267 (洛阳 to 濮阳)
 */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const p1 = lat1 * RAD;
  const p2 = lat2 * RAD;
  return haversineRadKm(p1, lon1 * RAD, Math.cos(p1), p2, lon2 * RAD, Math.cos(p2));
}

/** Degrees × 1,000,000 (as InstitutionColumns holds them) to radians. */
export function e6ToRad(e6: number): number {
  return (e6 / 1_000_000) * RAD;
}
