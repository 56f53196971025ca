// An approval request inside a message: who is asked, the outcome once there is one, and — for a
// person it names, while it is open — a button per option and an optional comment. Agents never
// answer (the server refuses them); the console only offers the buttons to the named people.
import { api } from './api.js';
import { button, formatTime, h, toast } from './dom.js';
import { cleanName } from './text.js';
import { describeError } from './dialogs.js';

const LABELS = { pending: 'Waiting for approval', approved: 'Approved', denied: 'Denied', expired: 'Expired, unanswered' };

export function renderApproval(message, { me, members, onAnswered }) {
  const approval = message.approval;
  if (!approval || message.deleted) return null;
  const name = (id) => cleanName(members.get(id)?.name || 'a former member');
  const status = approval.status;
  const outcome = LABELS[status] || `Chose “${status}”`;
  const lines = [h('p', { class: 'approval-status' }, h('strong', {}, outcome),
    status === 'pending' || status === 'expired'
      ? ` — asked of ${approval.approvers.map(name).join(', ')}${approval.expires_at && status === 'pending' ? `, until ${formatTime(approval.expires_at)}` : ''}`
      : ` by ${name(approval.by)}${approval.at ? `, ${formatTime(approval.at)}` : ''}`)];
  if (approval.comment) lines.push(h('p', { class: 'approval-comment', dir: 'auto' }, `“${approval.comment}”`));
  if (status === 'pending' && approval.approvers.includes(me)) {
    const comment = h('input', { type: 'text', maxlength: 1000, placeholder: 'Comment (optional)', 'aria-label': 'Comment on your answer' });
    const answer = async (choice) => {
      try {
        const body = { choice };
        if (comment.value.trim()) body.comment = comment.value.trim();
        onAnswered(await api('POST', `/api/v1/messages/${message.id}/approval`, body));
      } catch (error) {
        toast(`Not answered: ${describeError(error)}`, 'error');
      }
    };
    lines.push(h('div', { class: 'approval-answer', role: 'group', 'aria-label': 'Your answer' },
      approval.options.map((option) => button(option, () => answer(option), {
        class: option === 'deny' ? 'secondary' : 'primary', dataset: { choice: option },
      })), comment));
  }
  return h('div', { class: ['approval', `approval-${['pending', 'approved', 'denied', 'expired'].includes(status) ? status : 'chosen'}`], role: 'group', 'aria-label': 'Approval request' }, lines);
}
