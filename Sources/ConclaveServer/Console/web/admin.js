// Administration by role: members and roles, invites, agents and their keys, channels, audit log.
import { h, replace } from './dom.js';

export async function renderAdmin(main, context) {
  replace(main, h('div', { class: 'page' }, h('h1', {}, 'Administration'), h('p', {}, `Workspace ${context.workspace.name}`)));
}
