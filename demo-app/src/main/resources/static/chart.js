/*
 * A small SVG line chart for time series, so the page needs no charting library and nothing from the internet.
 *
 * lineChart(svg, options) redraws the chart from scratch:
 *   options.series    [{ name, color, points: [{ t: epochMillis, v: number|null }] }]; null breaks the line
 *   options.now       right edge of the time axis (epoch millis)
 *   options.windowMs  width of the time axis
 *   options.yMax      fixed top of the y axis, or undefined to fit the data
 *   options.yMin      smallest top when fitting (e.g. the endpoint's connection limit)
 *   options.reference optional dashed horizontal line { value, label }
 *   options.format    formats a y value for labels and the legend
 *
 * Every series is one <path data-series="name" data-points="n">, n being the points drawn: tests read it.
 */
(function (global) {
  'use strict';

  var SVG = 'http://www.w3.org/2000/svg';
  var WIDTH = 420;
  var HEIGHT = 170;
  var LEFT = 44;
  var RIGHT = 10;
  var TOP = 26;
  var BOTTOM = 20;

  function el(name, attributes, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /** A round number at or above value: 1, 2, 5, 10, 20, 50, ... */
  function niceCeiling(value) {
    if (value <= 1) {
      return 1;
    }
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * magnitude >= value) {
        return steps[i] * magnitude;
      }
    }
    return 10 * magnitude;
  }

  function lineChart(svg, options) {
    var format = options.format || function (v) { return String(Math.round(v)); };
    var start = options.now - options.windowMs;
    var plotWidth = WIDTH - LEFT - RIGHT;
    var plotHeight = HEIGHT - TOP - BOTTOM;

    var top = options.yMax;
    if (top === undefined) {
      var highest = options.yMin || 1;
      options.series.forEach(function (s) {
        s.points.forEach(function (p) {
          if (p.v !== null && p.v > highest) {
            highest = p.v;
          }
        });
      });
      top = niceCeiling(highest);
    }

    function x(t) {
      return LEFT + Math.max(0, Math.min(1, (t - start) / options.windowMs)) * plotWidth;
    }

    function y(v) {
      return TOP + plotHeight - Math.max(0, Math.min(1, v / top)) * plotHeight;
    }

    while (svg.firstChild) {
      svg.removeChild(svg.firstChild);
    }

    // Grid and y labels at 0, half and top.
    [0, top / 2, top].forEach(function (value) {
      var gy = y(value).toFixed(1);
      svg.appendChild(el('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: gy, y2: gy, class: 'grid' }));
      svg.appendChild(el('text', { x: LEFT - 6, y: gy, class: 'axis', 'text-anchor': 'end',
        'dominant-baseline': 'middle' }, format(value)));
    });
    svg.appendChild(el('text', { x: LEFT, y: HEIGHT - 4, class: 'axis' },
      '-' + Math.round(options.windowMs / 1000) + ' s'));
    svg.appendChild(el('text', { x: WIDTH - RIGHT, y: HEIGHT - 4, class: 'axis', 'text-anchor': 'end' }, 'now'));

    if (options.reference) {
      var ry = y(options.reference.value).toFixed(1);
      svg.appendChild(el('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: ry, y2: ry, class: 'reference' }));
      svg.appendChild(el('text', { x: WIDTH - RIGHT - 2, y: ry - 3, class: 'axis', 'text-anchor': 'end' },
        options.reference.label));
    }

    // Series and legend (name and latest value).
    var legendX = LEFT;
    options.series.forEach(function (s) {
      var d = '';
      var drawn = 0;
      var penDown = false;
      var latest = null;
      s.points.forEach(function (p) {
        if (p.t < start || p.v === null) {
          penDown = false;
          return;
        }
        d += (penDown ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1) + ' ';
        penDown = true;
        drawn++;
        latest = p.v;
      });
      svg.appendChild(el('path', { d: d.trim(), class: 'series', stroke: s.color,
        'data-series': s.name, 'data-points': drawn }));
      if (drawn === 1) {
        // A lone point has no line to show it: mark it.
        var only = d.trim().substring(1).split(' ');
        svg.appendChild(el('circle', { cx: only[0], cy: only[1], r: 2.5, fill: s.color }));
      }
      svg.appendChild(el('rect', { x: legendX, y: 6, width: 10, height: 10, rx: 2, fill: s.color }));
      var label = el('text', { x: legendX + 14, y: 15, class: 'legend' },
        s.name + (latest === null ? '' : ' ' + format(latest)));
      svg.appendChild(label);
      legendX += 14 + 7 * label.textContent.length + 14;
    });
  }

  global.lineChart = lineChart;
})(window);
