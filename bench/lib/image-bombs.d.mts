// Types for image-bombs.mjs, which test/security/image-bombs.test.ts imports too.
export function transparentPng(width: number, height: number): Promise<Buffer>;
export function blackGreyPng(width: number, height: number): Promise<Buffer>;
export function imagesForm(images: Uint8Array[]): { body: Buffer; contentType: string };
