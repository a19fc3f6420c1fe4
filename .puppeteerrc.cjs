// memlab, a dev dependency (the reference for retained sizes in test/cli), depends on
// puppeteer, whose install script would download a browser: heapwatch never runs one.
module.exports = { skipDownload: true };
