// Boots the console: restores the session from the refresh cookie (or shows sign-in), then
// holds the shell — workspace switcher, navigation — and the one event stream every view shares.
import { api, listAll, logout, onSignedOut, refresh } from './api.js';
import { button, h, replace, toast } from './dom.js';
import { cleanName } from './text.js';
import { Realtime } from './realtime.js';
import { renderInvite, renderSignIn } from './auth.js';
import { ChatView } from './chat.js';
import { renderAdmin } from './admin.js';
import { renderSettings } from './settings.js';
import { describeError } from './dialogs.js';

const root = document.getElementById('app');

const session = {
  me: null,
  workspaces: [],
  workspace: null,
  members: new Map(),
  view: 'chat',
  realtime: null,
  chat: null,
};

function isPrivileged(workspace) {
  return workspace && (workspace.role === 'owner' || workspace.role === 'admin');
}

async function loadMembers() {
  const members = await listAll(`/api/v1/workspaces/${session.workspace.id}/members`);
  // Updated in place: views hold this map, and a member who joins must show up in them.
  session.members.clear();
  for (const member of members) session.members.set(member.id, member);
}

async function signedIn() {
  session.me = await api('GET', '/api/v1/me');
  session.workspaces = await listAll('/api/v1/workspaces');
  session.workspace = session.workspaces[0] || null;
  if (!session.realtime) {
    session.realtime = new Realtime({
      onEvent: (frame) => dispatch(frame),
      onStatus: (state) => showConnection(state),
      onResync: () => session.chat?.resync(),
    });
    session.realtime.start();
    // Load the views once the stream is live, so nothing posted in between is missed; if the
    // socket is slow to come up, show the views now and refetch them when it is.
    const late = await Promise.race([
      session.realtime.firstReady.then(() => false),
      new Promise((resolve) => { setTimeout(() => resolve(true), 3000); }),
    ]);
    if (late) session.realtime.firstReady.then(() => session.chat?.resync());
  }
  await show(session.view);
}

function dispatch(frame) {
  if (frame.event === 'member.joined' && !frame.channel_id) {
    if (frame.data?.member_id === session.me.id && !session.workspaces.some((w) => w.id === frame.workspace_id)) {
      listAll('/api/v1/workspaces').then((list) => {
        session.workspaces = list;
        renderShell();
      });
    }
    if (frame.workspace_id === session.workspace?.id) loadMembers().catch(() => {});
  }
  if (frame.event === 'member.left' && !frame.channel_id && frame.workspace_id === session.workspace?.id) {
    loadMembers().catch(() => {});
  }
  if (frame.workspace_id === session.workspace?.id) session.chat?.handleEvent(frame);
}

function showConnection(state) {
  const badge = document.getElementById('connection');
  if (!badge) return;
  const labels = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', paused: 'Paused', 'signed-out': 'Signed out' };
  badge.textContent = labels[state] || state;
  badge.dataset.state = state;
  if (state === 'signed-out') signOutLocally();
}

async function show(view) {
  session.view = view;
  renderShell();
  const main = document.getElementById('main');
  if (!session.workspace) {
    replace(main, h('section', { class: 'empty' },
      h('h1', {}, 'No workspace yet'),
      h('p', {}, 'Ask an administrator for an invite link, or create a workspace.'),
      createWorkspaceForm()));
    return;
  }
  await loadMembers();
  const context = {
    me: session.me,
    workspace: session.workspace,
    members: session.members,
    realtime: session.realtime,
    reloadMembers: loadMembers,
    isPrivileged: isPrivileged(session.workspace),
  };
  session.chat?.detach();
  session.chat = null;
  if (view === 'chat') {
    session.chat = new ChatView(main, context);
    await session.chat.open();
  } else if (view === 'admin') {
    await renderAdmin(main, context);
  } else {
    await renderSettings(main, context);
  }
  main.focus({ preventScroll: true });
}

function createWorkspaceForm() {
  const input = h('input', { name: 'workspace', required: true, maxlength: 80, autocomplete: 'off', id: 'new-workspace-name' });
  const form = h('form', { class: 'inline-form', on: { submit: async (event) => {
    event.preventDefault();
    try {
      const workspace = await api('POST', '/api/v1/workspaces', { name: input.value.trim() });
      session.workspaces = await listAll('/api/v1/workspaces');
      session.workspace = session.workspaces.find((w) => w.id === workspace.id) || session.workspaces[0];
      await show('chat');
    } catch (error) {
      toast(describeError(error), 'error');
    }
  } } },
  h('label', { for: 'new-workspace-name' }, 'New workspace name'), input, h('button', { type: 'submit' }, 'Create workspace'));
  return form;
}

function renderShell() {
  const switcher = h('select', { id: 'workspace-switcher', 'aria-label': 'Workspace', on: { change: async (event) => {
    session.workspace = session.workspaces.find((w) => w.id === event.target.value);
    await show('chat');
  } } }, session.workspaces.map((w) => h('option', { value: w.id, selected: w.id === session.workspace?.id }, cleanName(w.name))));
  const nav = (view, label) => button(label, () => show(view), { class: ['nav-button', session.view === view && 'active'], 'aria-current': session.view === view ? 'page' : null, id: `nav-${view}` });
  const header = h('header', { class: 'topbar' },
    h('span', { class: 'brand' }, 'Conclave'),
    session.workspaces.length ? switcher : null,
    h('nav', { 'aria-label': 'Sections' }, nav('chat', 'Chat'), nav('admin', isPrivileged(session.workspace) ? 'Admin' : 'Agents'), nav('settings', 'Settings')),
    h('span', { id: 'connection', class: 'connection', role: 'status', 'aria-live': 'polite', dataset: { state: session.realtime?.state || 'connecting' } }, 'Connecting…'),
    h('span', { class: 'whoami' }, cleanName(session.me?.name)),
    button('Sign out', signOut, { id: 'sign-out' }));
  replace(root, header, h('main', { id: 'main', tabindex: '-1' }));
  if (session.realtime) showConnection(session.realtime.state || 'connecting');
}

async function signOut() {
  // The stream stops first: the server closes it at logout, and that close must not count as
  // the session having been ended elsewhere.
  session.realtime?.stop();
  session.realtime = null;
  try {
    await logout();
  } catch {
    // The session may already be gone; signing out locally is what matters here.
  }
  signOutLocally();
}

function signOutLocally() {
  session.realtime?.stop();
  session.realtime = null;
  session.chat?.detach();
  session.chat = null;
  session.me = null;
  showSignIn();
}

function showSignIn() {
  renderSignIn(root, { onSignedIn: signedIn });
}

onSignedOut(() => {
  if (session.me) signOutLocally();
});

async function boot() {
  if (location.pathname === '/invite') {
    const token = decodeURIComponent(location.hash.slice(1));
    // The token leaves the address bar at once: it must not linger in history or screenshots.
    history.replaceState(null, '', '/invite');
    renderInvite(root, token, { onJoined: async () => {
      history.replaceState(null, '', '/');
      await signedIn();
    } });
    return;
  }
  try {
    await refresh();
  } catch {
    showSignIn();
    return;
  }
  try {
    await signedIn();
  } catch (error) {
    toast(error.message, 'error');
    showSignIn();
  }
}

boot();
