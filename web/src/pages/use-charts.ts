/**
 * ECharts on a page, its whole life once: ECharts loaded on demand (import('./charts'), so neither
 * the initial bundle nor the other pages carry it), what is being drawn said in `state`, every
 * chart redrawn when the window is resized and disposed with the page.
 */
import { onBeforeUnmount, onMounted, ref } from 'vue';

type Drawn = { resize(): void; dispose(): void };

export function useCharts() {
  const state = ref<'idle' | 'loading' | 'failed'>('idle');
  let drawn: Drawn[] = [];

  /** Disposes the charts drawn. */
  function dispose(): void {
    for (const c of drawn) c.dispose();
    drawn = [];
  }

  /**
   * Draws each element with its option once ECharts has loaded, in place of the charts drawn
   * before; `build` is asked then (an option may read its element's width) and leaves out an
   * element that is gone.
   */
  async function draw(build: () => [HTMLElement, Record<string, unknown>][]): Promise<void> {
    state.value = 'loading';
    try {
      const { drawChart } = await import('./charts');
      dispose();
      drawn = build().map(([el, option]) => drawChart(el, option));
      state.value = 'idle';
    } catch {
      state.value = 'failed';
    }
  }

  const resize = () => {
    for (const c of drawn) c.resize();
  };
  onMounted(() => window.addEventListener('resize', resize));
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize);
    dispose();
  });
  return { state, draw, dispose };
}
