// The event stream over the WebSocket: authenticates with the in-memory access token (never in the
// URL), resumes from the last cursor after a dropped connection so nothing is missed, and tells the
// app when the server could not resume so it refetches instead of showing a gap.
import { currentAccessToken, refresh } from './api.js';

const PING_INTERVAL_MS = 25000;

export class Realtime {
  constructor({ onEvent, onStatus, onResync }) {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onResync = onResync;
    this.cursor = null;
    this.socket = null;
    this.attempt = 0;
    this.stopped = true;
    // Settles at the first `ready`: from then on every event reaches this client, so what the
    // views load by REST afterwards cannot miss one.
    this.firstReady = new Promise((resolve) => {
      this.resolveFirstReady = resolve;
    });
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  status(state) {
    this.state = state;
    this.onStatus?.(state);
  }

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.status('connecting');
    let token = currentAccessToken();
    if (!token) {
      try {
        await refresh();
        token = currentAccessToken();
      } catch {
        this.retry();
        return;
      }
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      const auth = { type: 'auth', token };
      if (this.cursor) auth.resume_from = this.cursor;
      socket.send(JSON.stringify(auth));
    });
    socket.addEventListener('message', (event) => this.receive(socket, event.data));
    socket.addEventListener('close', (event) => this.closed(socket, event.code));
  }

  receive(socket, raw) {
    if (socket !== this.socket) return;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'ready':
        this.attempt = 0;
        if (!this.cursor) this.cursor = frame.cursor;
        this.resolveFirstReady?.();
        this.resolveFirstReady = null;
        this.status('live');
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.sendFrame({ type: 'ping' }), PING_INTERVAL_MS);
        break;
      case 'resume_failed':
        // The server cannot replay from our cursor: start at the present and refetch by REST.
        this.cursor = null;
        this.onResync?.();
        break;
      case 'event':
        this.cursor = frame.cursor;
        this.onEvent?.(frame);
        break;
      default:
        break;
    }
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    this.socket = null;
    if (this.stopped) return;
    if (code === 4401) {
      // The access token expired or the session changed: a refresh decides which.
      refresh().then(() => this.retry(true), () => this.status('signed-out'));
      return;
    }
    if (code === 4423) {
      this.status('paused');
      return;
    }
    this.retry();
  }

  retry(immediately = false) {
    if (this.stopped) return;
    this.status('reconnecting');
    this.attempt += 1;
    // Exponential backoff with jitter, capped at 15 s, so a restarting server is not stampeded.
    const base = immediately ? 0 : Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5));
    const delay = base === 0 ? 0 : base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  sendFrame(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.state === 'live') {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }
}
