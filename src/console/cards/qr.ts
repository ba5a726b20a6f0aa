// The QR code of a stamp's page (stampUrl), for the customer to scan from the shop's screen: an SVG
// drawn on the server by the qrcode library, so that no image service sees the page's secret code.
import QRCode from "qrcode";

/** An <svg> of `text` as a QR code (error correction M, a one-module quiet zone), sized by its container. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
}
