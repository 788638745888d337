// Reads the packed form of /api/series (trackio/server/packed_series.py describes
// the layout): typed arrays copied out of the body rather than megabytes of JSON parsed.

const MAGIC = "TRS1";
const TYPES = { f4: Float32Array, f8: Float64Array };

function unshuffled(bytes, offset, count, Type) {
  const size = Type.BYTES_PER_ELEMENT;
  const out = new Uint8Array(count * size);
  for (let k = 0; k < size; k++) {
    const from = offset + k * count;
    for (let i = 0; i < count; i++) out[i * size + k] = bytes[from + i];
  }
  // The server writes little-endian, as every browser's typed arrays are.
  return new Type(out.buffer);
}

// The charts test `v != null`: a missing value (NaN here) is null, as in the JSON form.
function values(array, from, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const v = array[from + i];
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

const padded = (length) => length + ((8 - (length % 8)) % 8);

/** The answer as the JSON form has it: `{x, missing, series: [{metric, run, x, y, min,
 * max, last_step, downsampled, total}]}`. */
export function unpackSeries(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error("the server's series answer is not in the packed form");
  }
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const XType = TYPES[header.x_type];
  const YType = TYPES[header.y_type];
  let offset = padded(8 + headerLength);
  let points = 0;
  let banded = 0;
  for (const entry of header.series) {
    points += entry.n;
    if (entry.band) banded += entry.n;
  }
  const section = (Type, count) => {
    const array = unshuffled(bytes, offset, count, Type);
    offset += padded(count * Type.BYTES_PER_ELEMENT);
    return array;
  };
  const xs = section(XType, points);
  const ys = section(YType, points);
  const lows = section(YType, banded);
  const highs = section(YType, banded);
  let at = 0;
  let bandAt = 0;
  const series = header.series.map((entry) => {
    const { n } = entry;
    const out = {
      metric: entry.metric,
      run: entry.run,
      x: values(xs, at, n),
      y: values(ys, at, n),
      min: null,
      max: null,
      last_step: entry.last_step,
      downsampled: entry.downsampled,
      total: entry.total,
    };
    if (entry.band) {
      out.min = values(lows, bandAt, n);
      out.max = values(highs, bandAt, n);
      bandAt += n;
    }
    at += n;
    return out;
  });
  return { x: header.x, missing: header.missing, series };
}
