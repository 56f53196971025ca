// One agent's API keys: create (scopes, optional expiry and allowed networks; the key is shown
// once), list (never the secret: the server keeps only a keyed hash and the prefix), revoke.
import { api, listAll } from './api.js';
import { button, field, h, replace, toast, uid } from './dom.js';
import { cleanName } from './text.js';
import { confirmDialog, formDialog, secretDialog } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';

// The Scope enum of docs/openapi.yaml.
const SCOPES = ['messages:read', 'messages:write', 'channels:read', 'channels:write', 'files:read', 'files:write', 'members:read', 'webhooks:manage'];
const DEFAULT_SCOPES = new Set(['messages:read', 'messages:write', 'channels:read']);

// A datetime-local value (the reader's local time) as RFC 3339 UTC with Z, as the API wants it.
export function localToUTC(value) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error('The expiry is not a valid date and time.');
  return date.toISOString();
}

function nonEmptyLines(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

export async function renderKeys(container, context, agent) {
  const base = `/api/v1/workspaces/${context.workspace.id}/agents/${agent.id}/keys`;
  const keys = await listAll(base);
  const rerender = () => renderKeys(container, context, agent);

  function create() {
    const name = h('input', { name: 'name', maxlength: 80, autocomplete: 'off', placeholder: 'default' });
    const boxes = SCOPES.map((scope) => h('input', { type: 'checkbox', name: 'scope', value: scope, checked: DEFAULT_SCOPES.has(scope), id: uid('scope') }));
    const scopes = h('fieldset', { class: 'scopes' }, h('legend', {}, 'Scopes'),
      boxes.map((box) => h('label', { class: 'check', for: box.id }, box, ` ${box.value}`)));
    const expires = h('input', { type: 'datetime-local', name: 'expires_at' });
    const cidrs = h('textarea', { name: 'allowed_cidrs', rows: 3, autocomplete: 'off', spellcheck: 'false' });
    formDialog(`New API key for ${cleanName(agent.name)}`, [
      field('Key name (optional)', name),
      scopes,
      field('Expires (optional, your local time)', expires, 'Leave empty for a key that does not expire.'),
      field('Allowed networks (optional)', cidrs, 'One IPv4 or IPv6 address or CIDR per line, e.g. 203.0.113.0/24. Empty: anywhere.'),
    ], async () => {
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      if (!chosen.length) throw new Error('Choose at least one scope.');
      const networks = nonEmptyLines(cidrs.value);
      const created = await api('POST', base, {
        name: name.value.trim() || null,
        scopes: chosen,
        expires_at: localToUTC(expires.value),
        allowed_cidrs: networks.length ? networks : null,
      });
      await rerender();
      return created.key;
    }, {
      submitLabel: 'Create key',
      // The asking dialog closes first; then the key is shown once in a dialog of its own.
      then: (key) => secretDialog('API key created', key,
        'Copy this key now and store it somewhere safe: it is shown only this once and cannot be recovered. Anyone holding it acts as this agent.'),
    });
  }

  function revoke(key) {
    confirmDialog('Revoke this key?', `Requests with ${key.prefix}… are refused from the next one on. This cannot be undone.`, 'Revoke key', async () => {
      await api('DELETE', `${base}/${key.id}`);
      toast(`Key ${key.prefix}… revoked.`);
      await rerender();
    });
  }

  replace(container,
    h('div', { class: 'row keys-head' },
      h('h4', {}, `API keys of ${cleanName(agent.name)}`),
      button('Create API key', create, { class: 'primary', dataset: { createKeyFor: agent.id } })),
    dataTable(`API keys of ${cleanName(agent.name)}`, [
      { label: 'Name', cell: (k) => cleanName(k.name) },
      { label: 'Prefix', cell: (k) => h('code', {}, `${k.prefix}…`) },
      { label: 'Scopes', cell: (k) => k.scopes.join(', ') },
      { label: 'Networks', cell: (k) => (k.allowed_cidrs?.length ? k.allowed_cidrs.join(', ') : 'anywhere') },
      { label: 'Created', cell: (k) => when(k.created_at) },
      { label: 'Expires', cell: (k) => when(k.expires_at, 'never') },
      { label: 'Last used', cell: (k) => [when(k.last_used_at, 'never'), k.last_used_ip ? ` from ${k.last_used_ip}` : ''] },
      { label: 'State', cell: (k) => (k.revoked_at ? ['Revoked ', when(k.revoked_at)] : 'Active') },
      { label: 'Actions', cell: (k) => actions(k.revoked_at ? null : button('Revoke', () => revoke(k), { class: 'link-button danger', dataset: { revokeKey: k.id }, 'aria-label': `Revoke key ${k.prefix}` })) },
    ], [...keys].reverse(), 'No keys yet: create one to let this agent connect.'));
}
