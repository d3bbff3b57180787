// Eye's JPEG worker: scales a transferred ImageBitmap (at most `width` pixels wide) and encodes it
// as JPEG on an OffscreenCanvas, off the page's main thread. Used for screen and (with the
// widget in a worker) camera evidence.
self.onmessage = async (event) => {
  const { id, bitmap, width, quality } = event.data;
  try {
    const scale = Math.min(1, width / bitmap.width);
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality });
    self.postMessage({ id, blob, width: canvas.width, height: canvas.height });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
