import Foundation

/// A line chart rendered to PNG with ``Canvas``: a title, labelled axes with round tick values, a
/// grid, one coloured line with point markers per series, and a legend.
public struct LineChart: Sendable {
  /// One line of the chart.
  public struct Series: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    /// Drawn dashed-looking (thin, markers only at points) to set it apart, e.g. an estimate.
    public var dashed: Bool

    public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
      self.name = name
      self.points = points
      self.dashed = dashed
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [Series]
  /// Fixed y bounds (else from the data, starting at 0 when all values are non-negative).
  public var yRange: ClosedRange<Double>?
  public var width = 900
  public var height = 560

  public init(
    title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.yRange = yRange
  }

  static let palette: [(UInt8, UInt8, UInt8)] = [
    (255, 255, 255), (30, 30, 30), (200, 200, 200), (90, 90, 90),
    // Series colours: Tableau 10, then darker variants, so that 16 series stay apart.
    (31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207), (188, 189, 34), (127, 127, 127), (16, 60, 110), (120, 20, 20), (20, 90, 20), (150, 70, 0),
    (80, 50, 120), (0, 110, 120),
  ]
  private static let ink: UInt8 = 1
  private static let grid: UInt8 = 2
  private static let muted: UInt8 = 3
  private static let firstSeriesColor: UInt8 = 4

  /// The chart as a PNG file.
  public func png() -> [UInt8] {
    var canvas = Canvas(width: width, height: height, palette: Self.palette)
    let left = 90
    let right = width - 30
    let top = 60
    let bottom = height - 70 - 16 * ((series.count + 1) / 2)
    canvas.text(title, x: (width - Canvas.textWidth(title, scale: 2)) / 2, y: 16, scale: 2, Self.ink)
    canvas.text(yLabel, x: 12, y: top - 20, Self.muted)
    canvas.text(
      xLabel, x: (left + right - Canvas.textWidth(xLabel, scale: 1)) / 2, y: bottom + 30, Self.muted)

    let xs = series.flatMap { $0.points.map(\.x) }
    let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
    let xTicks = Ticks(low: xs.min() ?? 0, high: xs.max() ?? 1, includeZero: false)
    let yTicks: Ticks
    if let yRange {
      yTicks = Ticks(low: yRange.lowerBound, high: yRange.upperBound, includeZero: false, exact: true)
    } else {
      yTicks = Ticks(low: ys.min() ?? 0, high: ys.max() ?? 1, includeZero: (ys.min() ?? 0) >= 0)
    }
    func px(_ x: Double) -> Int {
      left + Int(((x - xTicks.low) / (xTicks.high - xTicks.low) * Double(right - left)).rounded())
    }
    func py(_ y: Double) -> Int {
      bottom - Int(((y - yTicks.low) / (yTicks.high - yTicks.low) * Double(bottom - top)).rounded())
    }

    for value in yTicks.values {
      let y = py(value)
      canvas.line(left, y, right, y, Self.grid)
      let label = Ticks.label(value, step: yTicks.step)
      canvas.text(label, x: left - 8 - Canvas.textWidth(label, scale: 1), y: y - 3, Self.ink)
    }
    for value in xTicks.values {
      let x = px(value)
      canvas.line(x, top, x, bottom, Self.grid)
      let label = Ticks.label(value, step: xTicks.step)
      canvas.text(label, x: x - Canvas.textWidth(label, scale: 1) / 2, y: bottom + 8, Self.ink)
    }
    canvas.line(left, bottom, right, bottom, Self.ink)
    canvas.line(left, top, left, bottom, Self.ink)

    for (index, line) in series.enumerated() {
      let color = Self.firstSeriesColor + UInt8(index % (Self.palette.count - Int(Self.firstSeriesColor)))
      let points = line.points.filter { $0.y.isFinite }.map {
        (px($0.x), py(min(max($0.y, yTicks.low), yTicks.high)))
      }
      for (a, b) in zip(points, points.dropFirst()) {
        canvas.line(a.0, a.1, b.0, b.1, color, thickness: line.dashed ? 1 : 2)
      }
      for point in points where points.count <= 60 {
        if line.dashed {
          canvas.line(point.0 - 3, point.1 - 3, point.0 + 3, point.1 + 3, color, thickness: 2)
          canvas.line(point.0 - 3, point.1 + 3, point.0 + 3, point.1 - 3, color, thickness: 2)
        } else {
          canvas.fill(x: point.0 - 3, y: point.1 - 3, width: 7, height: 7, color)
        }
      }
      let column = index % 2
      let row = index / 2
      let legendX = left + column * (right - left) / 2
      let legendY = bottom + 48 + row * 16
      canvas.fill(x: legendX, y: legendY + 2, width: 18, height: 3, color)
      canvas.text(line.name, x: legendX + 26, y: legendY, Self.ink)
    }
    return canvas.png
  }
}

/// Round tick values covering a range: steps of 1, 2 or 5 times a power of ten.
struct Ticks {
  let low: Double
  let high: Double
  let step: Double
  let values: [Double]

  init(low rawLow: Double, high rawHigh: Double, includeZero: Bool, exact: Bool = false) {
    var lowest = includeZero ? min(0, rawLow) : rawLow
    var highest = rawHigh
    if highest - lowest < 1e-12 {
      lowest -= lowest == 0 ? 0 : abs(lowest) * 0.1
      highest += highest == 0 ? 1 : abs(highest) * 0.1
    }
    let rough = (highest - lowest) / 6
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
    self.step = step
    low = exact ? lowest : (lowest / step).rounded(.down) * step
    high = exact ? highest : (highest / step).rounded(.up) * step
    var values: [Double] = []
    var value = (low / step).rounded(.up) * step
    while value <= high + step * 1e-9 {
      values.append(abs(value) < step * 1e-9 ? 0 : value)
      value += step
    }
    self.values = values
  }

  /// `value` with as many decimals as the step needs.
  static func label(_ value: Double, step: Double) -> String {
    let decimals = max(0, Int((-log10(step)).rounded(.up)))
    return String(format: "%.\(decimals)f", value)
  }
}
