/** The contract's upload limit (src-main/api/contract.ts), repeated so the renderer need not bundle zod to know it. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** Bytes → base64 for the API (in chunks: spreading a 20 MB array into String.fromCharCode overflows the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function base64ToBlob(base64: string, mime: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}
