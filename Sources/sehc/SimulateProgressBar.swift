import Foundation

/// The progress bar of `sehc simulate` on standard error: one line redrawn in place, at most about
/// ten times a second.
final class SimulateProgressBar {
  private let enabled: Bool
  private let runs: Int
  private var run = 0
  private var label = ""
  private var lastDraw = Date.distantPast

  init(enabled: Bool, runs: Int) {
    self.enabled = enabled
    self.runs = runs
  }

  func begin(run: Int, label: String) {
    self.run = run
    self.label = label
    lastDraw = .distantPast
    update(0)
  }

  func update(_ fraction: Double) {
    guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 || fraction >= 1 else { return }
    lastDraw = Date()
    let width = 30
    let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line = "\r[\(bar)] \(String(format: "%3d", Int(fraction * 100)))%  run \(run)/\(runs)  \(label)"
    FileHandle.standardError.write(Data(line.utf8))
  }

  func end() {
    guard enabled else { return }
    update(1)
    FileHandle.standardError.write(Data("\n".utf8))
  }
}
