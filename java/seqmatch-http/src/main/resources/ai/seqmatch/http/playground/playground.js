// SeqMatch playground: sends the form as POST /v1/completions with stream=true and the backspace_events
// extension, reads the SSE stream with fetch (EventSource cannot POST), and keeps everything the model typed
// in the transcript: text it deleted with <bkspc> stays in place, struck out, so the completion is exactly
// the text that is not struck out. Usage and client-side timings fill the stats.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('request');
  const transcript = $('transcript');
  const completion = $('completion');
  const status = $('status');
  const samplingInputs = ['temperature', 'top_p', 'seed'].map($);
  let model = null;
  let running = null; // the AbortController of the request in flight

  // --- the transcript: typed tokens in order; deleted text becomes a <del> in place ------------------
  // Text edits count Unicode code points, as the server's do (proto/seqmatch/v1), so a token whose text
  // waits for the rest of a UTF-8 character, or a deletion that also takes back such a character, shows
  // exactly the server's text.

  const standing = []; // spans whose text is still (partly) in the completion, oldest first
  const counts = { typed: 0, deleted: 0 };

  function resetTranscript(prompt) {
    $('prompt-echo').textContent = prompt;
    completion.replaceChildren();
    standing.length = 0;
    counts.typed = 0;
    counts.deleted = 0;
  }

  // Takes the last n code points off the standing text; struck = keep them in place as <del>.
  function cut(n, struck) {
    while (n > 0) {
      const span = standing.at(-1);
      if (!span) {
        throw new Error(`stream: asked to delete ${n} more characters than were sent`);
      }
      const chars = Array.from(span.textContent);
      const keep = Math.max(0, chars.length - n);
      const kept = chars.slice(0, keep).join('');
      const gone = chars.slice(keep).join('');
      n -= chars.length - keep;
      if (struck && gone) {
        const del = document.createElement('del');
        del.className = 'tok deleted';
        del.title = 'deleted by <bkspc>';
        del.textContent = gone;
        span.after(del);
      }
      span.textContent = kept;
      if (!kept) {
        standing.pop();
        span.remove();
      }
    }
  }

  // One chunk of the backspace_events stream: "backspace": n tokens deleted, taking "delete_chars" code
  // points with them; otherwise a typed token, whose "delete_chars" (rare: a tokenizer that re-renders
  // earlier text) replace text silently. The last chunk (finish_reason set) carries only held-back text.
  function apply(choice) {
    const deleteChars = choice.delete_chars || 0;
    if (choice.backspace) {
      cut(deleteChars, true);
      counts.deleted += choice.backspace;
    } else {
      cut(deleteChars, false);
      if (choice.finish_reason == null) {
        counts.typed++;
      }
    }
    if (choice.text) {
      const span = document.createElement('span');
      span.className = 'tok';
      span.textContent = choice.text;
      completion.append(span);
      standing.push(span);
    }
  }

  // --- the request --------------------------------------------------------------------------------

  function headers() {
    const h = { 'Content-Type': 'application/json' };
    const token = $('token').value.trim();
    if (token) {
      h.Authorization = `Bearer ${token}`;
    }
    return h;
  }

  function body() {
    const number = (id) => Number($(id).value);
    const b = {
      prompt: $('prompt').value,
      max_tokens: number('max_tokens'),
      stream: true,
      stream_options: { include_usage: true },
      seqmatch: { backspace_events: true },
    };
    if (model) {
      b.model = model;
    }
    if ($('greedy').checked) {
      b.temperature = 0; // OpenAI's spelling of argmax: the server decodes greedily, with the no-retype rule
    } else {
      b.temperature = number('temperature');
      b.top_p = number('top_p');
      if ($('seed').value !== '') {
        b.seed = number('seed');
      }
    }
    return b;
  }

  // The server's OpenAI error object ({"error": {"message": ...}}) as one line, whatever else came back.
  async function errorLine(response) {
    const raw = await response.text();
    try {
      const e = JSON.parse(raw).error;
      if (e && e.message) {
        return `${response.status}: ${e.message}`;
      }
    } catch (ignored) {
      // not JSON: show the raw text below
    }
    return `${response.status} ${response.statusText}${raw ? `: ${raw.slice(0, 200)}` : ''}`;
  }

  // Yields the data of each SSE event, decoded as it arrives (events may split across network reads).
  async function* sseData(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (data) {
          yield data;
        }
      }
      if (done) {
        return;
      }
    }
  }

  async function generate() {
    const request = body();
    resetTranscript(request.prompt);
    resetStats();
    setRunning(true);
    setStatus('Waiting for the first token…');
    const t0 = performance.now();
    let tFirst = null;
    let usage = null;
    let server = null;
    let finish = null;
    let finished = false;
    try {
      const response = await fetch('/v1/completions', {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify(request),
        signal: running.signal,
      });
      if (!response.ok) {
        throw new Error(await errorLine(response));
      }
      for await (const data of sseData(response)) {
        if (data === '[DONE]') {
          finished = true;
          break;
        }
        const chunk = JSON.parse(data);
        if (chunk.error) {
          throw new Error(chunk.error.message || JSON.stringify(chunk.error));
        }
        usage = chunk.usage || usage;
        server = chunk.seqmatch || server;
        for (const choice of chunk.choices || []) {
          apply(choice);
          if (choice.finish_reason == null) {
            tFirst = tFirst ?? performance.now();
          }
          finish = choice.finish_reason || finish;
        }
        showStats({ t0, tFirst, usage, finish, server });
      }
      if (!finished) {
        throw new Error('the stream ended before data: [DONE]');
      }
      setStatus(`Done in ${ms(performance.now() - t0)}.`);
      transcript.dataset.state = 'done';
    } catch (e) {
      const aborted = e.name === 'AbortError';
      setStatus(aborted ? 'Stopped.' : `Error: ${e.message}`, !aborted);
      transcript.dataset.state = aborted ? 'stopped' : 'error';
    } finally {
      setRunning(false);
    }
  }

  // --- stats and status -------------------------------------------------------------------------------

  function ms(t) {
    return t < 1000 ? `${Math.round(t)} ms` : `${(t / 1000).toFixed(2)} s`;
  }

  function resetStats() {
    for (const id of ['tokens', 'backspaces', 'typed', 'ttft', 'rate', 'finish']) {
      $(`stat-${id}`).textContent = '–';
    }
  }

  // The rate: tokens typed (deleted ones included) per second. Once the server's timings arrive (the last
  // chunk's "seqmatch" object) over the whole request as the server measured it; until then over the time
  // since this page sent the request (network batching makes per-chunk client timings meaningless).
  function showStats({ t0, tFirst, usage, finish, server }) {
    $('stat-tokens').textContent = usage ? usage.completion_tokens : counts.typed - counts.deleted;
    $('stat-backspaces').textContent = counts.deleted;
    $('stat-typed').textContent = counts.typed;
    if (tFirst != null) {
      $('stat-ttft').textContent = ms(tFirst - t0);
    }
    const seconds = server ? server.total_time_ms / 1000 : (performance.now() - t0) / 1000;
    if (counts.typed > 0 && seconds > 0) {
      $('stat-rate').textContent = (counts.typed / seconds).toFixed(1);
    }
    if (finish) {
      $('stat-finish').textContent = finish;
    }
  }

  function setStatus(text, error = false) {
    status.textContent = text;
    status.classList.toggle('error', error);
  }

  function setRunning(on) {
    running = on ? new AbortController() : null;
    $('generate').disabled = on;
    $('stop').disabled = !on;
    transcript.dataset.state = on ? 'streaming' : transcript.dataset.state;
  }

  async function loadModel() {
    try {
      const response = await fetch('/v1/models', { headers: headers() });
      if (!response.ok) {
        $('model').textContent = `model: ? (${await errorLine(response)})`;
        return;
      }
      const models = (await response.json()).data || [];
      model = models.length ? models[0].id : null;
      $('model').textContent = `model: ${model ?? 'none'}`;
    } catch (e) {
      $('model').textContent = `model: ? (${e.message})`;
    }
  }

  // --- wiring -------------------------------------------------------------------------------------------

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!form.reportValidity() || running) {
      return;
    }
    if (!model) {
      loadModel().then(generate);
    } else {
      generate();
    }
  });
  $('stop').addEventListener('click', () => running && running.abort());
  $('greedy').addEventListener('change', () => {
    for (const input of samplingInputs) {
      input.disabled = $('greedy').checked;
    }
  });
  $('show-deleted').addEventListener('change', () => {
    transcript.classList.toggle('show-deleted', $('show-deleted').checked);
  });
  $('token').addEventListener('change', loadModel);
  loadModel();
})();
