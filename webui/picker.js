// picker.js — a keyboard-searchable instrument list (ARIA combobox).
//
// Typing filters by substring ("07" finds ticker_07); names whose number
// equals the typed digits, then prefixes, sort first, so Enter after "07"
// picks ticker_07 even among ticker_107 and ticker_070. Up/Down move, Enter
// picks, Escape gives up. A native <datalist> matches differently in each
// browser and cannot be styled or tested, hence this.

const MAX_SHOWN = 500; // a list longer than this is not read by anyone; type to narrow

export class Picker {
  /** input: <input>, list: <ul>, onPick(name) */
  constructor(input, list, onPick) {
    this.input = input;
    this.list = list;
    this.onPick = onPick;
    this.names = [];
    this.shown = [];
    this.active = -1;
    this.current = null;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-expanded', 'false');
    list.setAttribute('role', 'listbox');
    input.addEventListener('focus', () => {
      input.select();
      this.open('');
    });
    input.addEventListener('input', () => this.open(input.value));
    input.addEventListener('keydown', (e) => this.key(e));
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    list.addEventListener('mousedown', (e) => {
      const li = e.target.closest('li[data-name]');
      if (!li) return;
      e.preventDefault(); // keep focus until the pick is done
      this.pick(li.dataset.name);
    });
  }

  setNames(names) {
    this.names = names.slice();
  }

  /** Shows `name` as the current one without firing onPick. */
  show(name) {
    this.current = name;
    if (document.activeElement !== this.input) this.input.value = name || '';
  }

  filter(q) {
    q = q.trim().toLowerCase();
    if (!q) return this.names.slice();
    const digits = /^\d+$/.test(q) ? Number(q) : null;
    const rank = (n) => {
      const l = n.toLowerCase();
      const num = l.match(/(\d+)$/);
      if (digits !== null && num && (num[1] === q || Number(num[1]) === digits)) return num[1] === q ? 0 : 1;
      if (l === q) return 0;
      if (l.startsWith(q)) return 2;
      if (num && num[1].startsWith(q)) return 3;
      return 4;
    };
    return this.names
      .filter((n) => n.toLowerCase().includes(q))
      .map((n, i) => [rank(n), i, n])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map((x) => x[2]);
  }

  open(q) {
    this.shown = this.filter(q);
    const frag = document.createDocumentFragment();
    this.shown.slice(0, MAX_SHOWN).forEach((n, i) => {
      const li = document.createElement('li');
      li.id = `${this.list.id}-${i}`;
      li.dataset.name = n;
      li.setAttribute('role', 'option');
      li.textContent = n;
      if (n === this.current) li.classList.add('current');
      frag.appendChild(li);
    });
    if (this.shown.length > MAX_SHOWN) {
      const li = document.createElement('li');
      li.className = 'more';
      li.textContent = `… ${this.shown.length - MAX_SHOWN} more, type to narrow`;
      frag.appendChild(li);
    }
    if (this.shown.length === 0) {
      const li = document.createElement('li');
      li.className = 'more';
      li.textContent = 'no instrument matches';
      frag.appendChild(li);
    }
    this.list.replaceChildren(frag);
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    // With a query, the best match is ready for Enter; without, the current one.
    const cur = q.trim() ? 0 : this.shown.indexOf(this.current);
    this.setActive(this.shown.length ? Math.max(0, cur) : -1);
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    if (document.activeElement !== this.input) this.input.value = this.current || '';
  }

  setActive(i) {
    const prev = this.list.querySelector('li.active');
    if (prev) {
      prev.classList.remove('active');
      prev.removeAttribute('aria-selected');
    }
    this.active = i;
    if (i < 0 || i >= Math.min(this.shown.length, MAX_SHOWN)) return;
    const li = this.list.children[i];
    li.classList.add('active');
    li.setAttribute('aria-selected', 'true');
    this.input.setAttribute('aria-activedescendant', li.id);
    li.scrollIntoView({ block: 'nearest' });
  }

  key(e) {
    const n = Math.min(this.shown.length, MAX_SHOWN);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.list.hidden) return this.open(this.input.value);
      if (n) this.setActive((this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (this.active >= 0 && this.active < n) this.pick(this.shown[this.active]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      this.input.value = this.current || '';
      this.input.blur();
    }
  }

  pick(name) {
    this.current = name;
    this.input.value = name;
    this.close();
    this.input.blur();
    this.onPick(name);
  }
}
