// Sessions: where the account is signed in. Ending another one signs that device out at its
// next request; ending the current one is signing out.
import { api, logout } from './api.js';
import { button, h, replace, toast } from './dom.js';
import { cleanText } from './text.js';
import { confirmDialog } from './dialogs.js';
import { actions, dataTable, when } from './tables.js';

async function signOut() {
  try {
    await logout();
  } finally {
    // A fresh load finds no refresh cookie and shows the sign-in page.
    location.assign('/');
  }
}

export function renderSessions(box, sessions, reload) {
  function end(session) {
    confirmDialog('End this session?', 'That device is signed out at its next request.', 'End session', async () => {
      await api('DELETE', `/api/v1/auth/sessions/${session.id}`);
      toast('Session ended.');
      await reload();
    });
  }

  const ordered = [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.last_used_at.localeCompare(a.last_used_at));
  replace(box, dataTable('Your sessions', [
    { label: 'Device', cell: (s) => [cleanText(s.user_agent || 'unknown').slice(0, 120), s.current ? h('span', { class: 'badge current-badge' }, 'this session') : null] },
    { label: 'Address', cell: (s) => s.ip || 'unknown' },
    { label: 'Signed in', cell: (s) => when(s.created_at) },
    { label: 'Last used', cell: (s) => when(s.last_used_at) },
    { label: 'Actions', cell: (s) => actions(s.current
      ? button('Sign out', signOut, { class: 'link-button', id: 'session-sign-out' })
      : button('End', () => end(s), { class: 'link-button danger', dataset: { endSession: s.id }, 'aria-label': `End session from ${s.ip || 'unknown address'}` })) },
  ], ordered, 'No active sessions.'));
}
