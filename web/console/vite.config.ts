// Build of the console (ADR 021): Preact through Vite, one hashed JS and CSS bundle under
// assets/, and a .gz copy of each text file so the gateway can send it compressed
// (static_site.h) without compressing per request.
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'bdtx-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (/\.(js|css|html|svg|json)$/.test(name)) {
            writeFileSync(path + '.gz', gzipSync(readFileSync(path), { level: 9 }));
          }
        }
      };
      walk(outDir);
    },
  };
}

export default defineConfig({
  plugins: [preact(), precompress()],
  build: {
    target: 'es2020',
    // No inline scripts or styles: the gateway's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
