// Previous / Next controls for a list shown one page at a time (the entries table, the history):
// only a page of a large registry is fetched and rendered.
import { h } from './dom';

export class Pager {
  /** The page shown, from 0. */
  page = 0;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly range: HTMLElement;

  constructor(
    readonly el: HTMLElement,
    readonly size: number,
    /** What the items are, for the range text ("entries", "versions"). */
    private readonly items: string,
    labels: { prev: string; next: string },
    onMove: () => void,
  ) {
    this.prev = h('button', { type: 'button', class: 'pager-prev' }, labels.prev);
    this.next = h('button', { type: 'button', class: 'pager-next' }, labels.next);
    this.range = h('span', { class: 'hint pager-range', 'aria-live': 'polite' });
    this.prev.addEventListener('click', () => {
      this.page--;
      onMove();
    });
    this.next.addEventListener('click', () => {
      this.page++;
      onMove();
    });
    el.classList.add('pager');
    el.replaceChildren(this.prev, this.range, this.next);
  }

  /** The first item of the page shown. */
  get offset(): number {
    return this.page * this.size;
  }

  /** Shows the page that holds item `index`. */
  showItem(index: number) {
    this.page = Math.floor(index / this.size);
  }

  /** Keeps the page within `total` items and updates the controls (hidden for a single page). */
  update(total: number) {
    const pages = Math.max(1, Math.ceil(total / this.size));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    this.el.hidden = pages === 1;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page === pages - 1;
    const last = Math.min(total, this.offset + this.size);
    this.range.textContent = `${(this.offset + 1).toLocaleString('en')}–${last.toLocaleString('en')} of ${total.toLocaleString('en')} ${this.items}`;
  }
}
