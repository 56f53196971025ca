// Administration by role: members and roles, invites, agents and their keys, channels, audit log.
// A tab a role cannot use is not offered (the server refuses those requests anyway).
import { h, replace } from './dom.js';
import { cleanName } from './text.js';
import { tabSet } from './tabs.js';
import { renderMembers } from './admin-members.js';
import { renderInvites } from './admin-invites.js';
import { renderAgents } from './admin-agents.js';
import { renderChannels } from './admin-channels.js';
import { renderAudit } from './admin-audit.js';

// The tab last shown, so returning to the page (or a workspace switch) keeps the place.
let lastTab = null;

export async function renderAdmin(main, context) {
  const privileged = context.isPrivileged;
  const items = [
    { id: 'members', label: 'Members', render: (panel) => renderMembers(panel, context) },
    privileged && { id: 'invites', label: 'Invites', render: (panel) => renderInvites(panel, context) },
    { id: 'agents', label: 'Agents', render: (panel) => renderAgents(panel, context) },
    privileged && { id: 'channels', label: 'Channels', render: (panel) => renderChannels(panel, context) },
    privileged && { id: 'audit', label: 'Audit log', render: (panel) => renderAudit(panel, context) },
  ].filter(Boolean);
  const initial = items.some((item) => item.id === lastTab) ? lastTab : (privileged ? 'members' : 'agents');
  const tabs = tabSet('Administration sections', items, initial, (id) => { lastTab = id; });
  replace(main, h('div', { class: 'page admin' },
    h('h1', {}, privileged ? 'Administration' : 'Agents and members'),
    h('p', { class: 'hint' }, `Workspace ${cleanName(context.workspace.name)} · your role: ${context.workspace.role}`),
    tabs.element));
  await tabs.select(initial, false);
}
