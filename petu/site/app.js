// Petu's browser side: sign in, upload straight to the bucket with a signed form, list, play and
// delete videos through the API. Plain JavaScript with no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  config: null, token: null, name: null, videos: [], next: '', pollTimer: 0,
  // Uploads not listed yet, by video id, with the time to stop waiting for them. The bucket's
  // notification reaches the app a moment after the upload ends, so the record comes later.
  awaiting: new Map(),
  // The video whose progress the upload form shows.
  uploaded: '',
  // What the run has cost on AWS, when the site's config names where to ask (a local run).
  costs: null,
};

// awaitListing is how long the list keeps looking for a finished upload that it does not show.
const awaitListing = 5 * 60 * 1000;

async function loadConfig() {
  const res = await fetch('config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error('config.json: ' + res.status);
  return res.json();
}

// api calls the petu API with the caller's sign-in token; a 401 signs the user out.
async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(state.config.api + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    signOut();
    throw new Error('your sign-in has expired; sign in again');
  }
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return res.status === 204 ? null : res.json();
}

// ---- sign-in ----

function signedIn(token, name) {
  state.token = token;
  state.name = name;
  sessionStorage.setItem('petu.token', token);
  sessionStorage.setItem('petu.name', name);
  $('who-name').textContent = name;
  $('who').hidden = false;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  refresh();
}

function signOut() {
  state.token = null;
  sessionStorage.removeItem('petu.token');
  sessionStorage.removeItem('petu.name');
  clearTimeout(state.pollTimer);
  state.awaiting.clear();
  clearProgress();
  $('who').hidden = true;
  $('app').hidden = true;
  $('sign-in').hidden = false;
  $('videos').replaceChildren();
  $('player').hidden = true;
  showSignIn();
}

function showSignIn() {
  const s = state.config.signIn;
  if (s.provider === 'google') {
    $('google-sign-in').hidden = false;
    const script = document.createElement('script');
    script.src = 'https://accounts.google.com/gsi/client';
    script.onload = () => {
      google.accounts.id.initialize({
        client_id: s.clientId,
        callback: (resp) => {
          const claims = JSON.parse(atob(resp.credential.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
          signedIn(resp.credential, claims.name || claims.email || claims.sub);
        },
      });
      google.accounts.id.renderButton($('google-sign-in'), { theme: 'outline', size: 'large' });
    };
    document.head.appendChild(script);
    return;
  }
  $('local-sign-in').hidden = false;
}

$('local-sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('sign-in-error').textContent = '';
  const name = $('local-name').value.trim();
  try {
    const res = await fetch(state.config.signIn.tokenURL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || res.statusText);
    const body = await res.json();
    signedIn(body.token, name);
  } catch (err) {
    $('sign-in-error').textContent = 'Sign-in failed: ' + err.message;
  }
});

$('sign-out').addEventListener('click', signOut);

// ---- upload ----

// postForm sends the file to the bucket with the signed form's fields; the file goes last, as S3
// requires. XMLHttpRequest rather than fetch, because only it reports upload progress.
function postForm(form, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [k, v] of Object.entries(form.fields)) data.append(k, v);
    data.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300)
      ? resolve()
      : reject(new Error('upload refused: ' + xhr.status + ' ' + (xhr.responseText || '').slice(0, 200)));
    xhr.onerror = () => reject(new Error('upload failed: network error'));
    xhr.send(data);
  });
}

$('upload').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const file = $('file').files[0];
  if (!file) return;
  $('upload-error').textContent = '';
  $('upload-button').disabled = true;
  state.uploaded = '';
  const bar = $('progress');
  bar.value = 0;
  bar.hidden = false;
  $('progress-text').textContent = 'Starting…';
  try {
    const up = await api('POST', '/api/uploads', {
      fileName: file.name, contentType: file.type || 'application/octet-stream', size: file.size,
    });
    await postForm(up.form, file, (f) => {
      bar.value = Math.round(f * 100);
      $('progress-text').textContent = Math.round(f * 100) + '%';
    });
    bar.value = 100;
    $('progress-text').textContent = 'Uploaded — processing';
    $('file').value = '';
    state.uploaded = up.videoId;
    state.awaiting.set(up.videoId, Date.now() + awaitListing);
    await refresh();
  } catch (err) {
    $('upload-error').textContent = err.message;
    clearProgress();
  } finally {
    $('upload-button').disabled = false;
  }
});

function clearProgress() {
  state.uploaded = '';
  $('progress').hidden = true;
  $('progress-text').textContent = '';
}

// ---- list ----

function describe(v) {
  if (v.status === 'ready') {
    const secs = Math.round((v.durationMs || 0) / 1000);
    return secs + ' s · ' + v.renditions.map((r) => r.name).join(', ');
  }
  if (v.status === 'failed') return v.error || 'transcoding failed';
  return new Date(v.createdAt).toLocaleString();
}

// usd formats a small amount of US dollars with three significant digits: $0.00512.
function usd(x) {
  if (!(x > 0)) return '$0';
  if (x < 0.000001) return '<$0.000001';
  if (x >= 1) return '$' + x.toFixed(2);
  return '$' + x.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '');
}

// describeCost says what a ready video cost on AWS, or '' when the costs are not known.
function describeCost(v) {
  const c = state.costs && state.costs.videos && state.costs.videos[v.id];
  if (!c || v.status !== 'ready') return '';
  let s = 'On AWS: upload ' + usd(c.upload) + ' · transcode ' + usd(c.transcode) +
    ' · storage ' + usd(c.storagePerMonth) + '/month';
  if (c.playback > 0) s += ' · playback ' + usd(c.playback);
  return s;
}

function renderCosts() {
  const c = state.costs;
  $('costs').hidden = !c;
  if (!c) return;
  $('costs-total').textContent = usd(c.total);
  $('costs-idle').textContent = usd(c.idlePerMonth);
  $('costs-includes').textContent = c.includes || '';
}

// loadCosts fetches what the run has cost, where the config says; a deployment names no such
// document, and then the page shows no costs. Costs are extra: failing to get them is silent.
async function loadCosts() {
  if (!state.config.costs) return;
  try {
    const res = await fetch(state.config.costs, { cache: 'no-store' });
    if (res.ok) state.costs = await res.json();
  } catch (_) { /* keep the last figures */ }
}

function render() {
  const list = $('videos');
  list.replaceChildren();
  // An upload on its way is not "no videos", though it is not listed yet.
  $('empty').hidden = state.videos.length > 0 || state.awaiting.size > 0;
  for (const v of state.videos) {
    const li = $('video-item').content.firstElementChild.cloneNode(true);
    li.dataset.id = v.id;
    li.dataset.status = v.status;
    li.querySelector('.name').textContent = v.fileName;
    const st = li.querySelector('.status');
    st.textContent = v.status;
    st.classList.add(v.status);
    li.querySelector('.detail').textContent = describe(v);
    const cost = li.querySelector('.cost');
    cost.textContent = describeCost(v);
    cost.hidden = cost.textContent === '';
    if (v.thumbnailUrl) li.querySelector('.thumb').src = v.thumbnailUrl;
    const play = li.querySelector('.play');
    play.hidden = v.status !== 'ready';
    play.addEventListener('click', () => playVideo(v));
    li.querySelector('.delete').addEventListener('click', () => removeVideo(v));
    list.appendChild(li);
  }
  $('more').hidden = !state.next;
  renderCosts();
}

async function refresh() {
  clearTimeout(state.pollTimer);
  if (!state.token) return;
  try {
    const page = await api('GET', '/api/videos');
    // After the list, so a video listed ready has its transcoding in the figures.
    await loadCosts();
    state.videos = page.videos;
    state.next = page.next || '';
    const now = Date.now();
    for (const [id, until] of state.awaiting) {
      if (now > until || state.videos.some((v) => v.id === id)) state.awaiting.delete(id);
    }
    render();
    // The upload form's progress is done with once its video is ready or has failed.
    const up = state.videos.find((v) => v.id === state.uploaded);
    if (up && up.status !== 'pending' && up.status !== 'processing') clearProgress();
  } catch (err) {
    $('upload-error').textContent = err.message;
  }
  // Poll while an upload is still to be listed, or anything listed is on its way to ready.
  if (state.token && (state.awaiting.size > 0 ||
      state.videos.some((v) => v.status === 'pending' || v.status === 'processing'))) {
    state.pollTimer = setTimeout(refresh, 1500);
  }
}

$('more').addEventListener('click', async () => {
  const page = await api('GET', '/api/videos?cursor=' + encodeURIComponent(state.next));
  state.videos = state.videos.concat(page.videos);
  state.next = page.next || '';
  render();
});

// ---- play and delete ----

function playVideo(v) {
  const sel = $('rendition');
  sel.replaceChildren();
  // Smallest first, so the first choice plays quickly.
  const rs = v.renditions.slice().sort((a, b) => a.height - b.height);
  for (const r of rs) {
    const o = document.createElement('option');
    o.value = r.url;
    o.textContent = r.name + ' (' + r.width + '×' + r.height + ')';
    o.dataset.name = r.name;
    sel.appendChild(o);
  }
  sel.onchange = () => {
    const video = $('video');
    const t = video.currentTime;
    video.src = sel.value;
    video.currentTime = t;
    video.play().catch(() => {});
  };
  $('player-title').textContent = v.fileName;
  $('player').hidden = false;
  $('player').dataset.id = v.id;
  const video = $('video');
  video.src = sel.value;
  // The click on Play is the user's gesture that lets the video start with sound.
  video.play().catch(() => {});
}

async function removeVideo(v) {
  try {
    await api('DELETE', '/api/videos/' + encodeURIComponent(v.id));
    if ($('player').dataset.id === v.id) {
      $('video').removeAttribute('src');
      $('player').hidden = true;
    }
    if (state.uploaded === v.id) clearProgress();
    await refresh();
  } catch (err) {
    $('upload-error').textContent = err.message;
  }
}

// ---- start ----

(async () => {
  try {
    state.config = await loadConfig();
  } catch (err) {
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = 'Cannot load the site configuration: ' + err.message;
    return;
  }
  const token = sessionStorage.getItem('petu.token');
  if (token) {
    signedIn(token, sessionStorage.getItem('petu.name') || '');
  } else {
    $('sign-in').hidden = false;
    showSignIn();
  }
})();
