import type { ReactNode } from 'react';

export function Legend({ title, items }: { title: ReactNode; items: { label: ReactNode; color: string; shape?: 'circle' | 'square' | 'line' }[] }) {
  return (
    <figure className="legend">
      <figcaption>{title}</figcaption>
      <ul>
        {items.map((it, i) => (
          <li key={i}>
            <span className={`swatch swatch-${it.shape ?? 'square'}`} style={{ background: it.color }} aria-hidden="true" />
            <span>{it.label}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
