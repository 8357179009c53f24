/** The rotatable surface of index.html: its browser projection is the static figure's, and its markup is inert. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectPoint } from '../../src/report/surface-3d.ts';
import { PROJECT_SOURCE, surfaceViewHtml } from '../../src/report/surface-view.ts';

type Project = (p: number[], azimuth: number, elevation: number) => { x: number; y: number; depth: number };

test("the page's projection gives the static figure's numbers", () => {
  const project = new Function(`${PROJECT_SOURCE}; return project;`)() as Project;
  for (const [x, y, z, azimuth, elevation] of [
    [0.3, -0.7, 0.5, -60, 30],
    [-1, 1, 0.8, 135, 75],
    [1, -1, 0, 0, 0],
    [0.25, 0.5, 0.1, 270, 90],
  ] as const) {
    const browser = project([x, y, z], azimuth, elevation);
    const node = projectPoint([x, y, z], { azimuth, elevation });
    for (const key of ['x', 'y', 'depth'] as const) assert.ok(Math.abs(browser[key] - node[key]) < 1e-12, key);
  }
});

test('the view embeds its quads as JSON that cannot close its script element, and escapes the title', () => {
  const values = [
    [1, 0.5, 1],
    [0.5, 0.1, 0.5],
    [1, 0.5, null],
  ];
  const html = surfaceViewHtml(values, 'Clean loss: </script><b>x</b> & co');
  const json = /<script type="application\/json">([^<]*)<\/script>/.exec(html)?.[1];
  assert.ok(json !== undefined, html);
  const data = JSON.parse(json) as { quads: Array<{ c: number[][]; f: string }>; azimuth: number; elevation: number };
  // 4 quads, less the one touching the missing corner.
  assert.equal(data.quads.length, 3);
  assert.deepEqual([data.azimuth, data.elevation], [-60, 30]);
  assert.match(data.quads[0]!.f, /^#[0-9a-f]{6}$/);
  assert.ok(!html.includes('</script><b>'));
  assert.match(html, /aria-label="Clean loss: &lt;\/script&gt;&lt;b&gt;x&lt;\/b&gt; &amp; co, rotatable"/);
});
