'use strict';
// The token form shown when the dashboard needs the control token: the
// token goes to sessionStorage (the page's fetches send it as
// X-Sandbox-Token) and to a session cookie scoped to the dashboard (what
// the browser sends for the page itself and its event stream).
document.getElementById('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const t = document.getElementById('login-token').value.trim();
  if (!t) return;
  sessionStorage.setItem('vs.token', t);
  document.cookie = 'vendorsim_token=' + encodeURIComponent(t) + '; path=/_sandbox/ui/; SameSite=Strict';
  location.reload();
});
