/// A palette image to draw charts on: lines, rectangles and text in ``BitmapFont``, written as PNG by
/// ``PNGEncoder``.
struct Canvas {
  let width: Int
  let height: Int
  private(set) var pixels: [UInt8]
  let palette: [(UInt8, UInt8, UInt8)]

  init(width: Int, height: Int, palette: [(UInt8, UInt8, UInt8)], background: UInt8 = 0) {
    self.width = width
    self.height = height
    self.palette = palette
    pixels = [UInt8](repeating: background, count: width * height)
  }

  mutating func set(_ x: Int, _ y: Int, _ color: UInt8) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    pixels[y * width + x] = color
  }

  mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ color: UInt8) {
    for row in max(0, y)..<min(height, y + h) {
      for column in max(0, x)..<min(width, x + w) { pixels[row * width + column] = color }
    }
  }

  /// A line `thickness` pixels wide (Bresenham, stamped with a square pen).
  mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: UInt8, thickness: Int = 1) {
    var x = x0
    var y = y0
    let dx = abs(x1 - x0)
    let dy = -abs(y1 - y0)
    let sx = x0 < x1 ? 1 : -1
    let sy = y0 < y1 ? 1 : -1
    var error = dx + dy
    let low = -(thickness - 1) / 2
    while true {
      for ox in low..<(low + thickness) {
        for oy in low..<(low + thickness) { set(x + ox, y + oy, color) }
      }
      if x == x1 && y == y1 { break }
      let doubled = 2 * error
      if doubled >= dy {
        error += dy
        x += sx
      }
      if doubled <= dx {
        error += dx
        y += sy
      }
    }
  }

  /// A dashed horizontal or vertical line.
  mutating func dashed(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: UInt8, dash: Int = 4) {
    let steps = max(abs(x1 - x0), abs(y1 - y0))
    guard steps > 0 else { return set(x0, y0, color) }
    for step in 0...steps where (step / dash) % 2 == 0 {
      set(x0 + (x1 - x0) * step / steps, y0 + (y1 - y0) * step / steps, color)
    }
  }

  /// The width in pixels of `text` at `scale`.
  static func textWidth(_ text: String, scale: Int) -> Int {
    text.isEmpty ? 0 : text.count * (BitmapFont.width + 1) * scale - scale
  }

  /// `text` with its top-left corner at (x, y), each font pixel `scale`×`scale`.
  mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ color: UInt8) {
    var left = x
    for character in text {
      let rows = BitmapFont.rows(character)
      for (row, bits) in rows.enumerated() {
        for column in 0..<BitmapFont.width where bits & (0x10 >> UInt8(column)) != 0 {
          fill(x: left + column * scale, y: y + row * scale, width: scale, height: scale, color)
        }
      }
      left += (BitmapFont.width + 1) * scale
    }
  }

  /// The PNG file of the canvas.
  var png: [UInt8] { PNGEncoder.encode(width: width, height: height, pixels: pixels, palette: palette) }
}
