// Tables and small cells for the admin and settings pages. Every value goes in as text.
import { formatTime, h } from './dom.js';

// columns: [{ label, cell: (row) => Node | string }]. The caption names the table for screen readers.
export function dataTable(caption, columns, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'hint empty-table' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col' }, column.label)))),
      h('tbody', {}, rows.map((row) => h('tr', { dataset: { id: row.id || '' } },
        columns.map((column) => h('td', { dataset: { label: column.label } }, column.cell(row))))))));
}

export function when(iso, never = '—') {
  if (!iso) return never;
  return h('time', { datetime: iso, title: iso }, formatTime(iso));
}

export function actions(...buttons) {
  return h('div', { class: 'actions' }, buttons);
}

