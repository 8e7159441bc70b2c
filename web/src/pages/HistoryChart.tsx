import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A small line chart of one attribute over time (uPlot: ~50 kB, draws thousands of points instantly). */
export default function HistoryChart({ t, v, label, formatTime, formatValue }: { t: number[]; v: number[]; label: string; formatTime: (ms: number) => string; formatValue: (v: number) => string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 200,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          { values: (_u, ticks) => ticks.map((x) => formatTime(x)), stroke: '#374151', grid: { stroke: '#e5e7eb' }, size: 40 },
          { values: (_u, ticks) => ticks.map((x) => formatValue(x)), stroke: '#374151', grid: { stroke: '#e5e7eb' }, size: 64 },
        ],
        series: [{}, { label, stroke: '#0b4f6c', width: 2, fill: 'rgba(11,79,108,0.08)', points: { show: v.length < 60, size: 5 } }],
      },
      [t, v],
      el,
    );
    return () => plot.destroy();
  }, [t, v, label, formatTime, formatValue]);
  return <div ref={ref} className="chart" dir="ltr" aria-hidden="true" />;
}
