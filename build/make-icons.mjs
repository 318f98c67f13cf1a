// Renders build/icon.svg, the one source image, into every icon the installers and the
// tray need: PNGs for Linux and the tray, icon.icns for macOS, icon.ico for Windows.
// Run with `npm run icons`; the results are committed, so packaging needs no renderer.
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import png2icons from 'png2icons';

const here = dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(join(here, 'icon.svg'));
const render = (size) => new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng();

mkdirSync(join(here, 'icons'), { recursive: true });
for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
  writeFileSync(join(here, 'icons', `${size}x${size}.png`), render(size));
}
const master = render(1024);
writeFileSync(join(here, 'icon.icns'), png2icons.createICNS(master, png2icons.BICUBIC2, 0));
writeFileSync(join(here, 'icon.ico'), png2icons.createICO(master, png2icons.BICUBIC2, 0, false, true));
console.log('icons written to build/');
