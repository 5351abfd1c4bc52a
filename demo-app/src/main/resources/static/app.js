/*
 * The demo page: polls /actuator/conpool twice a second, keeps two minutes of samples per endpoint, and draws them
 * with chart.js. Buttons call DELETE /actuator/conpool/{name} (clear), POST /api/load and PUT/GET /api/keys/{key}.
 * All URLs are relative, so the page also works under a context path.
 */
(function () {
  'use strict';

  var POLL_MS = 500;
  /** Charts span the time since the page opened, at least MIN_WINDOW_MS and at most WINDOW_MS (history kept). */
  var MIN_WINDOW_MS = 20 * 1000;
  var WINDOW_MS = 120 * 1000;
  var pageOpened = Date.now();
  var COLORS = { active: '#2563eb', idle: '#16a34a', pending: '#dc2626', throughput: '#7c3aed', hitrate: '#ea580c' };

  /** Per endpoint key: { card, samples: [{ t, active, idle, pending, max, acquires, throughput, hitRate }] }. */
  var endpoints = {};
  var polling = false;

  function $(id) {
    return document.getElementById(id);
  }

  function setStatus(state, text) {
    var status = $('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  function percent(v) {
    return Math.round(v * 100) + '%';
  }

  function micros(v) {
    return v >= 1000 ? (v / 1000).toFixed(1) + ' ms' : Math.round(v) + ' µs';
  }

  function keyOf(e) {
    return e.name || e.endpoint;
  }

  /** Reads an error answer (RFC 9457 problem detail or anything else) into one line. */
  function describeError(response, body) {
    if (body && body.detail) {
      return response.status + ': ' + body.detail;
    }
    if (body && body.error) {
      return response.status + ': ' + body.error + (body.message ? ' (' + body.message + ')' : '');
    }
    return response.status + ' ' + response.statusText;
  }

  function request(method, url, body, contentType) {
    var init = { method: method, cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.body = body;
      init.headers['Content-Type'] = contentType;
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch (ignored) {
          // Not JSON: the status line says enough.
        }
        if (!response.ok) {
          var error = new Error(describeError(response, json));
          error.status = response.status;
          throw error;
        }
        return json;
      });
    });
  }

  // ---- endpoint cards ----

  function stat(container, name, label) {
    var tile = document.createElement('div');
    tile.className = 'stat';
    tile.dataset.stat = name;
    var value = document.createElement('span');
    value.className = 'value';
    value.textContent = '–';
    var caption = document.createElement('span');
    caption.className = 'label';
    caption.textContent = label;
    tile.appendChild(value);
    tile.appendChild(caption);
    container.appendChild(tile);
  }

  function createCard(key) {
    var card = $('endpoint-template').content.firstElementChild.cloneNode(true);
    card.dataset.endpoint = key;
    card.id = 'endpoint-' + key.replace(/[^A-Za-z0-9_-]/g, '_');
    var stats = card.querySelector('.stats');
    [['active', 'active'], ['idle', 'idle'], ['pending', 'pending'], ['max', 'max'], ['created', 'created'],
      ['reused', 'reused'], ['closed', 'closed'], ['hitRate', 'hit rate'], ['errors', 'errors'],
      ['acquireTimeouts', 'timeouts']].forEach(function (s) {
      stat(stats, s[0], s[1]);
    });
    card.querySelector('.clear').addEventListener('click', function () {
      clear(key, card);
    });
    $('endpoints').appendChild(card);
    return card;
  }

  function setStat(card, name, value) {
    card.querySelector('[data-stat="' + name + '"] .value').textContent = value;
  }

  function record(e, now) {
    var key = keyOf(e);
    var entry = endpoints[key];
    if (!entry) {
      entry = endpoints[key] = { card: createCard(key), samples: [] };
    }
    var s = e.stats;
    var acquires = s.reused + s.misses;
    var previous = entry.samples[entry.samples.length - 1];
    var throughput = null;
    var hitRate = null;
    // Counters only grow; if they went down the endpoint was forgotten and created again: no rate for this step.
    if (previous && acquires >= previous.acquires) {
      var dAcquires = acquires - previous.acquires;
      throughput = dAcquires / Math.max(0.001, (now - previous.t) / 1000);
      hitRate = dAcquires === 0 ? null : (s.reused - previous.reused) / dAcquires;
    }
    entry.samples.push({ t: now, active: s.active, idle: s.idle, pending: s.pending, max: s.maxConnections,
      acquires: acquires, reused: s.reused, throughput: throughput, hitRate: hitRate });
    while (entry.samples.length && entry.samples[0].t < now - WINDOW_MS) {
      entry.samples.shift();
    }
    entry.seen = now;
    render(entry, e, now);
  }

  function series(entry, field, name, color) {
    return {
      name: name,
      color: color,
      points: entry.samples.map(function (p) {
        return { t: p.t, v: p[field] };
      })
    };
  }

  function chartWindow(now) {
    return Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, now - pageOpened));
  }

  function render(entry, e, now) {
    var card = entry.card;
    var windowMs = chartWindow(now);
    var s = e.stats;
    card.querySelector('.name').textContent = e.name || e.endpoint;
    card.querySelector('.address').textContent = e.name ? e.endpoint : '';
    var circuit = card.querySelector('.circuit');
    circuit.textContent = 'circuit ' + String(e.circuitState).toLowerCase().replace('_', '-');
    circuit.dataset.state = e.circuitState;
    setStat(card, 'active', s.active);
    setStat(card, 'idle', s.idle);
    setStat(card, 'pending', s.pending);
    setStat(card, 'max', s.maxConnections);
    setStat(card, 'created', s.created);
    setStat(card, 'reused', s.reused);
    setStat(card, 'closed', s.closed);
    setStat(card, 'hitRate', percent(s.hitRate));
    setStat(card, 'errors', s.errors);
    setStat(card, 'acquireTimeouts', s.acquireTimeouts);

    lineChart(card.querySelector('[data-chart="connections"]'), {
      now: now, windowMs: windowMs, yMin: s.maxConnections,
      reference: { value: s.maxConnections, label: 'max ' + s.maxConnections },
      series: [series(entry, 'active', 'active', COLORS.active), series(entry, 'idle', 'idle', COLORS.idle),
        series(entry, 'pending', 'pending', COLORS.pending)]
    });
    lineChart(card.querySelector('[data-chart="throughput"]'), {
      now: now, windowMs: windowMs, yMin: 10,
      format: function (v) { return v >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(Math.round(v)); },
      series: [series(entry, 'throughput', 'acquires/s', COLORS.throughput)]
    });
    lineChart(card.querySelector('[data-chart="hitrate"]'), {
      now: now, windowMs: windowMs, yMax: 1, format: percent,
      series: [series(entry, 'hitRate', 'hit rate', COLORS.hitrate)]
    });
  }

  function updateEndpointChoices(list) {
    var select = $('load-endpoint');
    var names = list.filter(function (e) { return e.name; }).map(function (e) { return e.name; });
    var current = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (names.join('\n') === current.join('\n')) {
      return;
    }
    var chosen = select.value;
    select.innerHTML = '';
    names.forEach(function (name) {
      var option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    });
    if (names.indexOf(chosen) >= 0) {
      select.value = chosen;
    }
  }

  function renderTotals(pool) {
    var t = pool.totals;
    var totals = $('totals');
    totals.innerHTML = '';
    [['endpoints', t.endpoints], ['active', t.active], ['idle', t.idle], ['pending', t.pending],
      ['created', t.created], ['closed', t.closed], ['errors', t.errors], ['open circuits', t.openCircuits]]
      .forEach(function (pair) {
        stat(totals, pair[0].replace(' ', '-'), pair[0]);
        totals.lastChild.querySelector('.value').textContent = pair[1];
      });
  }

  function poll() {
    if (polling) {
      return Promise.resolve();
    }
    polling = true;
    return request('GET', 'actuator/conpool').then(function (pool) {
      var now = Date.now();
      pool.endpoints.forEach(function (e) {
        record(e, now);
      });
      // Endpoints the pool forgot (unnamed and unused for a while) leave the page.
      Object.keys(endpoints).forEach(function (key) {
        if (endpoints[key].seen !== now) {
          endpoints[key].card.remove();
          delete endpoints[key];
        }
      });
      $('no-endpoints').hidden = pool.endpoints.length > 0;
      updateEndpointChoices(pool.endpoints);
      renderTotals(pool);
      setStatus(pool.closed ? 'error' : 'ok', (pool.closed ? 'pool closed' : 'live') + ' · updated '
        + new Date(now).toLocaleTimeString());
    }).catch(function (error) {
      setStatus('error', 'cannot read /actuator/conpool: ' + error.message);
    }).then(function () {
      polling = false;
    });
  }

  function loop() {
    poll().then(function () {
      setTimeout(loop, POLL_MS);
    });
  }

  // ---- actions ----

  function clear(key, card) {
    var button = card.querySelector('.clear');
    var result = card.querySelector('.clear-result');
    button.disabled = true;
    request('DELETE', 'actuator/conpool/' + encodeURIComponent(key)).then(function (answer) {
      result.dataset.state = 'ok';
      result.textContent = 'Cleared: closed ' + answer.idleClosed + ' idle connection(s); '
        + answer.leasedMarked + ' leased will close when returned.';
    }).catch(function (error) {
      result.dataset.state = 'error';
      result.textContent = error.status === 405
        ? 'Clear is not allowed: grant management.endpoint.conpool.access=unrestricted'
        : 'Clear failed: ' + error.message;
    }).then(function () {
      button.disabled = false;
      poll();
    });
  }

  function showLoadSummary(summary) {
    var result = $('load-result');
    result.dataset.state = summary.failed ? 'warn' : 'ok';
    result.dataset.succeeded = summary.succeeded;
    var failures = Object.keys(summary.failures).map(function (type) {
      return summary.failures[type] + ' × ' + type;
    }).join(', ');
    result.innerHTML = '';
    var lines = [
      summary.succeeded + ' of ' + summary.requested + ' operations on ' + summary.endpoint + ' in '
        + (summary.durationMillis / 1000).toFixed(2) + ' s (' + Math.round(summary.opsPerSecond) + '/s) with '
        + summary.concurrency + ' workers' + (summary.stoppedAtDeadline ? ', stopped at the time limit' : ''),
      'acquire p50 ' + micros(summary.acquire.p50Micros) + ', p99 ' + micros(summary.acquire.p99Micros)
        + ' · operation p50 ' + micros(summary.operation.p50Micros) + ', p99 ' + micros(summary.operation.p99Micros),
      summary.failed ? summary.failed + ' failed: ' + failures + ' — first: ' + summary.firstFailure : 'no failures'
    ];
    lines.forEach(function (line) {
      var p = document.createElement('div');
      p.textContent = line;
      result.appendChild(p);
    });
  }

  function generateLoad(event) {
    event.preventDefault();
    var button = $('load-button');
    var result = $('load-result');
    var form = new URLSearchParams({
      endpoint: $('load-endpoint').value || 'cache',
      concurrency: $('load-concurrency').value,
      count: $('load-count').value,
      holdMillis: $('load-hold').value
    });
    button.disabled = true;
    result.dataset.state = 'running';
    result.textContent = 'Running…';
    request('POST', 'api/load', form.toString(), 'application/x-www-form-urlencoded')
      .then(showLoadSummary)
      .catch(function (error) {
        result.dataset.state = 'error';
        result.textContent = 'Load failed: ' + error.message;
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function keyUrl() {
    return 'api/keys/' + encodeURIComponent($('kv-key').value) + '?endpoint='
      + encodeURIComponent($('load-endpoint').value || 'cache');
  }

  function showKeyResult(state, text) {
    var result = $('kv-result');
    result.dataset.state = state;
    result.textContent = text;
  }

  function setKey(event) {
    event.preventDefault();
    request('PUT', keyUrl(), $('kv-value').value, 'text/plain;charset=UTF-8').then(function (answer) {
      showKeyResult('ok', 'Stored "' + answer.key + '" on ' + answer.endpoint + '.');
    }).catch(function (error) {
      showKeyResult('error', 'Set failed: ' + error.message);
    });
  }

  function getKey() {
    request('GET', keyUrl()).then(function (answer) {
      showKeyResult('ok', '"' + answer.key + '" = "' + answer.value + '"');
    }).catch(function (error) {
      showKeyResult(error.status === 404 ? 'warn' : 'error', error.status === 404
        ? 'No such key.' : 'Get failed: ' + error.message);
    });
  }

  $('load-form').addEventListener('submit', generateLoad);
  $('kv-form').addEventListener('submit', setKey);
  $('kv-get').addEventListener('click', getKey);
  loop();
})();
