// Every page: start the site's service worker (coi-sw.js, at the site's root), which keeps
// the pages a reader opens, and the files they load, for reading offline; and say at the foot
// of the page what this device has kept. The models are kept by the classifier's own store
// (site_app/modelstore.js), which the worker reports too.
(function () {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  var root = new URL('../', document.currentScript.src); // this file is <site>/javascripts/offline.js
  // the same URL and scope as the classifier's registration (site_app/coi.js's caller): one worker
  var workerUrl = new URL('coi-sw.js', root).href;
  // a page that loaded before the worker controlled it (the first page of a first visit)
  // asks for itself and what it loaded to be kept; a controlled page was kept as it loaded
  var controlled = !!navigator.serviceWorker.controller;

  function ask(worker, message) {
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { resolve(event.data); };
      worker.postMessage(message, [channel.port2]);
    });
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  // the models a manifest lists, by the path the model store keeps them under
  function modelNames(manifest) {
    var names = {};
    Object.keys(manifest.models).forEach(function (key) {
      var model = manifest.models[key];
      Object.keys(model.variants).forEach(function (variant) {
        var v = model.variants[variant];
        var label = (model.display_name || key) + ' ' + variant;
        [v, v.optimized, v.tflite].forEach(function (f) {
          if (f && f.file) names[new URL('models/' + f.file, root).pathname + '#' + f.sha256] = label + (f === v.tflite ? ' (LiteRT)' : '');
        });
      });
    });
    return names;
  }

  function describe(summary, names) {
    var here = new URL(location.href);
    here.search = '';
    here.hash = '';
    var kept = summary.pages.indexOf(here.href) >= 0;
    var others = summary.pages.length - (kept ? 1 : 0);
    var parts = [];
    if (kept) parts.push(others ? 'this page and ' + plural(others, 'other page', 'other pages') : 'this page');
    else if (others) parts.push(plural(others, 'page', 'pages') + ' (not this one yet)');
    if (summary.runtimes.length) parts.push(summary.runtimes.join(', '));
    var models = summary.models
      .map(function (m) { return names[m.path + '#' + m.sha256]; })
      .filter(Boolean);
    if (models.length) parts.push(plural(models.length, 'model', 'models') + ' (' + models.join(', ') + ')');
    if (!parts.length) return 'Nothing is kept for offline reading on this device yet.';
    return 'Kept on this device for offline reading: ' + parts.join('; ') + '.';
  }

  function show(text) {
    var word = document.getElementById('lwm-offline');
    if (!word) {
      word = document.createElement('p');
      word.id = 'lwm-offline';
      word.className = 'lwm-offline';
      // under the theme's copyright line, in its type
      (document.querySelector('.md-copyright') || document.body).appendChild(word);
    }
    word.textContent = text;
    return word;
  }

  var manifest = null; // fetched once, and only when a model is kept
  function refresh(worker) {
    return ask(worker, { type: 'offline' }).then(function (summary) {
      if (!summary.models.length || manifest) return summary;
      return fetch(new URL('models/models.json', root))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) { manifest = m; return summary; }, function () { return summary; });
    }).then(function (summary) {
      return show(describe(summary, manifest ? modelNames(manifest) : {}));
    });
  }

  navigator.serviceWorker.register(workerUrl, { scope: root.href }).catch(function () {});
  navigator.serviceWorker.ready.then(function (registration) {
    var worker = registration.active;
    var urls = [location.href];
    if (!controlled) {
      urls = urls.concat(performance.getEntriesByType('resource').map(function (e) { return e.name; }));
    }
    return ask(worker, { type: 'keep', urls: urls })
      .then(function () { return refresh(worker); })
      .then(function (word) {
        // the classifier keeps a model while the reader is on the page: say so when they look
        if (!('IntersectionObserver' in window)) return;
        new IntersectionObserver(function (entries) {
          if (entries.some(function (e) { return e.isIntersecting; })) refresh(worker);
        }).observe(word);
      });
  });
})();
