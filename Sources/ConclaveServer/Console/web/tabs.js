// A WAI-ARIA tab set: one tab stop for the list (arrow keys, Home and End move between tabs and
// show them), and one panel whose content the selected tab renders.
import { h, replace } from './dom.js';

export function tabSet(label, items, selectedId, onSelect) {
  const panel = h('div', { role: 'tabpanel', class: 'tab-panel', tabindex: '0' });
  const tabs = items.map((item) => h('button', {
    type: 'button', role: 'tab', id: `tab-${item.id}`, 'aria-controls': 'admin-panel', dataset: { tab: item.id },
    on: { click: () => select(item.id, false) },
  }, item.label));
  panel.id = 'admin-panel';
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': label, on: { keydown: (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = (moves[event.key] + tabs.length) % tabs.length;
    select(items[next].id, true);
  } } }, tabs);

  async function select(id, focusTab) {
    const item = items.find((candidate) => candidate.id === id) || items[0];
    tabs.forEach((tab, index) => {
      const chosen = items[index] === item;
      tab.setAttribute('aria-selected', String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
      if (chosen && focusTab) tab.focus();
    });
    panel.setAttribute('aria-labelledby', `tab-${item.id}`);
    replace(panel, h('p', { class: 'hint' }, 'Loading…'));
    onSelect?.(item.id);
    await item.render(panel);
  }

  return { element: h('div', { class: 'tab-set' }, list, panel), select };
}
