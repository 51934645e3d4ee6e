import Testing

@testable import Simulation

/// The PNG writer and the charts of `sehc simulate`.
@Suite struct SimulateChartTests {
  @Test func checksumsMatchTheirStandards() {
    #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
  }

  @Test func aPNGHasItsSignatureChunksAndChecksums() throws {
    let chart = LineChart(
      title: "Test", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "a", points: [(0, 0), (1, 2), (2, 1)]),
        .init(name: "b", points: [(0, 1), (2, 3)], dashed: true),
      ])
    let png = chart.png()
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var offset = 8
    var types: [String] = []
    while offset < png.count {
      let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
      let body = Array(png[(offset + 4)..<(offset + 8 + length)])
      let crc = png[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      #expect(PNGEncoder.crc32(body) == crc)
      types.append(String(decoding: body.prefix(4), as: UTF8.self))
      offset += 12 + length
    }
    #expect(types == ["IHDR", "PLTE", "IDAT", "IEND"])
    #expect(png.count < 40_000, "runs of background compress: \(png.count) bytes")
  }

  @Test func ticksAreRound() {
    let ticks = Ticks(low: 0.03, high: 0.97, includeZero: true)
    #expect(ticks.values.first == 0 && ticks.step == 0.2)
    #expect(Ticks.label(0.4, step: ticks.step) == "0.4")
  }
}
