// The audit log (admins and owners): entries oldest first as the API pages them, filtered by
// action and actor (API parameters), "Load more" by cursor, and the hash chain's verification.
import { api } from './api.js';
import { button, field, h, replace } from './dom.js';
import { cleanName, cleanText } from './text.js';
import { describeError, errorBox } from './dialogs.js';
import { when } from './tables.js';

const PAGE = 100;

function actorLabel(actor, members) {
  const member = actor?.id ? members.get(actor.id) : null;
  const who = member ? cleanName(member.name) : actor?.id || actor?.kind || 'unknown';
  return [who, h('span', { class: 'hint' }, ` ${actor?.kind || ''}${actor?.ip ? ` · ${actor.ip}` : ''}`)];
}

// The details object as compact text: never parsed as markup, and long values wrap.
function detailsText(details) {
  if (details === null || details === undefined) return '';
  return cleanText(typeof details === 'string' ? details : JSON.stringify(details));
}

function row(entry, members) {
  return h('tr', { dataset: { seq: String(entry.seq) } },
    h('td', {}, String(entry.seq)),
    h('td', {}, when(entry.at)),
    h('td', {}, actorLabel(entry.actor, members)),
    h('td', {}, h('code', {}, cleanText(entry.action))),
    h('td', {}, cleanText(entry.target ?? '')),
    h('td', { class: 'audit-details' }, detailsText(entry.details)));
}

async function verify(base, status) {
  status.className = 'chain-status';
  status.textContent = 'Verifying the chain…';
  try {
    const result = await api('GET', `${base}/verify`);
    if (result.valid) {
      status.classList.add('status-ok');
      status.textContent = `Chain verified (${result.entries} entries)`;
    } else {
      status.classList.add('status-bad');
      status.textContent = `Chain broken at seq ${result.first_invalid_seq}`;
    }
  } catch (error) {
    status.textContent = error.status === 404 ? 'Verification unavailable' : `Verification failed: ${describeError(error)}`;
  }
}

export async function renderAudit(panel, context) {
  const base = `/api/v1/workspaces/${context.workspace.id}/audit`;
  const members = new Map(context.members);
  const status = h('p', { class: 'chain-status', id: 'audit-chain-status', role: 'status', 'aria-live': 'polite' });
  const action = h('input', { name: 'action', id: 'audit-action', autocomplete: 'off', placeholder: 'e.g. auth.login.succeeded', spellcheck: 'false' });
  const actor = h('select', { name: 'actor', id: 'audit-actor' }, h('option', { value: '' }, 'Anyone'),
    [...members.values()].map((m) => h('option', { value: m.id }, `${cleanName(m.name)} (@${m.handle})`)));
  const body = h('tbody');
  const errors = errorBox();
  const more = button('Load more', () => load(), { id: 'audit-more', hidden: true });
  let cursor = null;

  async function load() {
    errors.textContent = '';
    more.disabled = true;
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) params.set('cursor', cursor);
    if (action.value.trim()) params.set('action', action.value.trim());
    if (actor.value) params.set('actor', actor.value);
    try {
      const page = await api('GET', `${base}?${params}`);
      body.append(...page.data.map((entry) => row(entry, members)));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!body.childElementCount) body.append(h('tr', {}, h('td', { colspan: '6' }, 'No entries match.')));
    } catch (error) {
      errors.textContent = describeError(error);
    } finally {
      more.disabled = false;
    }
  }

  const filters = h('form', { class: 'inline-form admin-form', 'aria-label': 'Filter the audit log', on: { submit: async (event) => {
    event.preventDefault();
    cursor = null;
    replace(body);
    await load();
  } } }, field('Action', action), field('Actor', actor), h('button', { type: 'submit' }, 'Apply filters'));

  replace(panel,
    h('h2', {}, 'Audit log'),
    h('div', { class: 'row' }, status, button('Verify again', () => verify(base, status), { class: 'link-button' })),
    filters, errors,
    h('div', { class: 'table-wrap' }, h('table', { class: 'audit-table' },
      h('caption', { class: 'visually-hidden' }, 'Audit log entries, oldest first'),
      h('thead', {}, h('tr', {}, ['Seq', 'At', 'Actor', 'Action', 'Target', 'Details'].map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more);
  await Promise.all([load(), verify(base, status)]);
}
