// A small canvas sparkline (area + line) of recent per-second values, sized to its box, theme colours from CSS.
import { useEffect, useRef } from 'preact/hooks';

interface Props {
  values: number[];
  label: string;
  /** Format of the latest/peak value shown beside it. */
  format: (n: number) => string;
  tone?: 'a' | 'b';
}

export function Sparkline({ values, label, format, tone = 'a' }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const peak = values.reduce((m, v) => Math.max(m, v), 0);
  const latest = values.length ? values[values.length - 1]! : 0;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const color = getComputedStyle(canvas).color;
    const max = peak || 1;
    const step = values.length > 1 ? w / (values.length - 1) : w;
    const y = (v: number) => h - 1 - (v / max) * (h - 3);
    ctx.beginPath();
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(0, y(v)) : ctx.lineTo(i * step, y(v))));
    ctx.lineWidth = 1.25;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.lineTo(w, h);
    ctx.lineTo(0, h);
    ctx.closePath();
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }, [values.join(',')]);
  return (
    <figure class={`spark spark-${tone}`}>
      <figcaption>
        <span class="spark-label">{label}</span>
        <span class="spark-value mono">{format(latest)}</span>
        <span class="muted mono">peak {format(peak)}</span>
      </figcaption>
      <canvas
        ref={ref}
        role="img"
        aria-label={`${label}, last ${values.length} seconds: now ${format(latest)}, peak ${format(peak)}`}
      />
    </figure>
  );
}
