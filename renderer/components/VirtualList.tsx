// Fixed-row-height virtualized list: renders only visible rows, follows the end until the user scrolls up.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { cx } from './ui.tsx';

interface Props {
  count: number;
  rowHeight: number;
  /** Content of row i (a fragment of cells). */
  renderRow: (i: number) => ComponentChildren;
  rowClass?: (i: number) => string | undefined;
  selected: number;
  onSelect: (i: number) => void;
  label: string;
  idBase: string;
  /** Keep the last row in view as rows arrive (off once the user scrolls up; End turns it on). */
  follow?: boolean;
  onFollowChange?: (following: boolean) => void;
  /** Anything that should re-render rows although count is unchanged. */
  version?: number;
  class?: string;
}

const OVERSCAN = 8;

export function VirtualList(p: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const following = useRef(p.follow ?? false);
  const h = p.rowHeight;

  useLayoutEffect(() => {
    const el = ref.current!;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    following.current = p.follow ?? false;
    if (p.follow) scrollToEnd();
  }, [p.follow]);

  // New rows while following: stay at the end.
  useLayoutEffect(() => {
    if (following.current) scrollToEnd();
  }, [p.count, p.version]);

  function scrollToEnd() {
    const el = ref.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    setScrollTop(el.scrollTop);
  }

  function onScroll() {
    const el = ref.current!;
    setScrollTop(el.scrollTop);
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - h / 2;
    if (p.follow !== undefined && atEnd !== following.current) {
      following.current = atEnd;
      p.onFollowChange?.(atEnd);
    }
  }

  function reveal(i: number) {
    const el = ref.current!;
    const top = i * h;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + h > el.scrollTop + el.clientHeight) el.scrollTop = top + h - el.clientHeight;
  }

  function onKeyDown(e: KeyboardEvent) {
    if (p.count === 0) return;
    const page = Math.max(1, Math.floor(height / h) - 1);
    const cur = p.selected;
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        next = cur < 0 ? 0 : Math.min(p.count - 1, cur + 1);
        break;
      case 'ArrowUp':
      case 'k':
        next = cur < 0 ? p.count - 1 : Math.max(0, cur - 1);
        break;
      case 'PageDown':
        next = Math.min(p.count - 1, Math.max(cur, 0) + page);
        break;
      case 'PageUp':
        next = Math.max(0, cur - page);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = p.count - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    p.onSelect(next);
    reveal(next);
  }

  const first = Math.max(0, Math.floor(scrollTop / h) - OVERSCAN);
  const last = Math.min(p.count, Math.ceil((scrollTop + height) / h) + OVERSCAN);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={i}
        id={`${p.idBase}-${i}`}
        role="option"
        aria-selected={i === p.selected}
        aria-posinset={i + 1}
        aria-setsize={p.count}
        class={cx('vrow', i === p.selected && 'selected', i % 2 === 1 && 'odd', p.rowClass?.(i))}
        style={{ transform: `translateY(${i * h}px)`, height: `${h}px` }}
        onMouseDown={() => p.onSelect(i)}
      >
        {p.renderRow(i)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      class={cx('vlist', p.class)}
      role="listbox"
      aria-label={p.label}
      tabIndex={0}
      aria-activedescendant={
        p.selected >= 0 && p.selected >= first && p.selected < last ? `${p.idBase}-${p.selected}` : undefined
      }
      onScroll={onScroll}
      onKeyDown={onKeyDown}
    >
      <div class="vlist-inner" style={{ height: `${p.count * h}px` }}>
        {rows}
      </div>
    </div>
  );
}
