// The seed's preprocessing, at this model's input size, done by hand with sharp:
//
//   transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor(),
//                       transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
//
// Training must prepare pixels exactly as `mlx serve` will when a photo arrives at /predict, or the
// model sees different numbers in production than it learned from (training/serving skew). So the
// same recipe is registered with the model as PREPROCESS_SPEC, and run.sh checks that `mlx predict`
// over the held-out images agrees with this file's predictions.
import sharp from 'sharp';

export const INPUT_SIZE = 32;
export const MEAN = [0.485, 0.456, 0.406]; // ImageNet channel means and standard deviations
export const STD = [0.229, 0.224, 0.225];
/** What `mlx register --preprocess` records, so `mlx serve` and `mlx predict` prepare images the same way. */
export const PREPROCESS_SPEC = `image:${INPUT_SIZE}x${INPUT_SIZE},rgb,scale=1/255,mean=${MEAN.join('/')},std=${STD.join('/')},layout=nchw`;

/**
 * Reads an image file into the model's input: decoded as RGB (colour profiles ignored, as PIL does),
 * stretched to INPUT_SIZE x INPUT_SIZE with a bilinear filter, scaled to 0..1, normalized per channel,
 * laid out channel by channel (CHW; the batch of such images is NCHW).
 */
export async function loadImage(file) {
  const { data } = await sharp(file, { ignoreIcc: true })
    .toColourspace('srgb')
    .flatten({ background: '#000000' }) // drop transparency, if any
    .resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill', kernel: 'linear' }) // Resize((32, 32)): no crop, no padding
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = INPUT_SIZE * INPUT_SIZE;
  const chw = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) chw[c * plane + i] = (data[i * 3 + c] / 255 - MEAN[c]) / STD[c]; // ToTensor, Normalize
  return chw;
}
