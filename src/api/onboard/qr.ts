/** A QR code image of `text` for a phone's camera: a data: URL of an SVG (the pages' CSP allows `img-src data:`). */
export async function qrDataUrl(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  // M: survives a smudged screen or a photo at an angle, and stays small for a 43-character token.
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
