/// A minimal PNG writer for palette images, with no dependency: 8-bit indexed colour, each row
/// filtered with PNG's "Up" filter, compressed by a small deflate encoder (one block of fixed Huffman
/// codes whose only back-references are runs, i.e. distance 1) inside a zlib stream.
///
/// Charts are mostly runs of background: "Up" turns a row like the one above into zeros and the runs
/// turn those into a few bits, so a 900×560 chart takes a few kilobytes. The output is a pure function
/// of the pixels (PNG has no timestamp unless a tIME chunk is written, and none is).
public enum PNGEncoder {
  /// The PNG file of a `width`×`height` image whose pixels (row by row) index into `palette`
  /// (at most 256 RGB colours).
  public static func encode(width: Int, height: Int, pixels: [UInt8], palette: [(UInt8, UInt8, UInt8)])
    -> [UInt8]
  {
    precondition(width > 0 && height > 0 && pixels.count == width * height)
    precondition(!palette.isEmpty && palette.count <= 256)
    var filtered: [UInt8] = []
    filtered.reserveCapacity((width + 1) * height)
    for row in 0..<height {
      filtered.append(row == 0 ? 0 : 2)
      let start = row * width
      for x in 0..<width {
        let above = row == 0 ? 0 : pixels[start - width + x]
        filtered.append(pixels[start + x] &- above)
      }
    }
    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var header: [UInt8] = []
    header += bigEndian(UInt32(width))
    header += bigEndian(UInt32(height))
    header += [8, 3, 0, 0, 0]  // bit depth 8, colour type 3 (indexed), deflate, adaptive filters, no interlace
    appendChunk("IHDR", header, to: &file)
    appendChunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }, to: &file)
    appendChunk("IDAT", zlib(filtered), to: &file)
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// A zlib stream (RFC 1950) of `data`: header, deflate data, Adler-32.
  static func zlib(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    out += Deflate.fixedHuffmanWithRuns(data)
    out += bigEndian(adler32(data))
    return out
  }

  /// Adler-32 (RFC 1950 §8.2).
  static func adler32(_ data: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    return b << 16 | a
  }

  /// CRC-32 as PNG and zlib use it (polynomial 0xEDB88320, reflected).
  static func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
  }

  private static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    file += bigEndian(UInt32(data.count))
    file += typeBytes
    file += data
    file += bigEndian(crc32(typeBytes + data))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }
}

/// The deflate encoder of ``PNGEncoder`` (RFC 1951).
enum Deflate {
  /// One final block with the fixed Huffman codes (§3.2.6): literals, and runs of the previous byte
  /// as length/distance-1 pairs.
  static func fixedHuffmanWithRuns(_ data: [UInt8]) -> [UInt8] {
    var bits = BitWriter()
    bits.write(1, count: 1)  // BFINAL
    bits.write(1, count: 2)  // BTYPE = 01, fixed Huffman
    var i = 0
    while i < data.count {
      if i > 0 {
        var length = 0
        while length < 258 && i + length < data.count && data[i + length] == data[i - 1] { length += 1 }
        if length >= 3 {
          writeLength(length, &bits)
          bits.writeHuffman(0, count: 5)  // distance code 0: distance 1, no extra bits
          i += length
          continue
        }
      }
      writeSymbol(Int(data[i]), &bits)
      i += 1
    }
    writeSymbol(256, &bits)
    return bits.finish()
  }

  private static let lengthBase = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
  ]
  private static let lengthExtra = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]

  private static func writeLength(_ length: Int, _ bits: inout BitWriter) {
    var code = lengthBase.count - 1
    while lengthBase[code] > length { code -= 1 }
    writeSymbol(257 + code, &bits)
    if lengthExtra[code] > 0 { bits.write(UInt32(length - lengthBase[code]), count: lengthExtra[code]) }
  }

  /// A literal/length symbol in the fixed code.
  private static func writeSymbol(_ symbol: Int, _ bits: inout BitWriter) {
    switch symbol {
    case 0...143: bits.writeHuffman(UInt32(0x30 + symbol), count: 8)
    case 144...255: bits.writeHuffman(UInt32(0x190 + symbol - 144), count: 9)
    case 256...279: bits.writeHuffman(UInt32(symbol - 256), count: 7)
    default: bits.writeHuffman(UInt32(0xC0 + symbol - 280), count: 8)
    }
  }
}

/// Packs bits least significant first, as deflate does.
struct BitWriter {
  private var bytes: [UInt8] = []
  private var buffer: UInt32 = 0
  private var used = 0

  /// The `count` low bits of `value`, least significant first (header fields and extra bits).
  mutating func write(_ value: UInt32, count: Int) {
    for bit in 0..<count { push((value >> UInt32(bit)) & 1) }
  }

  /// A Huffman code, most significant bit first.
  mutating func writeHuffman(_ code: UInt32, count: Int) {
    for bit in stride(from: count - 1, through: 0, by: -1) { push((code >> UInt32(bit)) & 1) }
  }

  private mutating func push(_ bit: UInt32) {
    buffer |= bit << UInt32(used)
    used += 1
    if used == 8 {
      bytes.append(UInt8(buffer))
      buffer = 0
      used = 0
    }
  }

  /// The bytes, the last one padded with zero bits.
  mutating func finish() -> [UInt8] {
    if used > 0 { bytes.append(UInt8(buffer)) }
    buffer = 0
    used = 0
    return bytes
  }
}
