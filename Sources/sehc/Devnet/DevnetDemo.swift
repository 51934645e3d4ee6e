import ChainCrypto
import Foundation
import GRPCCore
import Node
import RPC
import Wire

/// The workload of `sehc devnet --demo`, through the public client API of the running nodes: the
/// administrator registers a patient and clinicians, the patient stores a lab report and uploads a CT
/// study through node 1, the study is downloaded from another node of the patient's shard and checked,
/// a clinician asks for access and the patient approves, and the patient grants a clinician of the other
/// shard access (a cross-shard transaction), which must become final on both sides.
struct DevnetDemo {
  /// One step and how it went.
  struct Step: Sendable {
    var name: String
    var succeeded: Bool
    var detail: String
    var seconds: Double
  }

  /// Every step, in order.
  struct Report: Sendable {
    var steps: [Step]

    var succeeded: Bool { !steps.isEmpty && steps.allSatisfy(\.succeeded) }

    var summary: String {
      var lines = ["\ndemo summary"]
      for step in steps {
        let mark = step.succeeded ? "ok  " : "FAIL"
        lines.append(
          "  \(mark) \(step.name.padding(toLength: 44, withPad: " ", startingAt: 0)) "
            + String(format: "%6.2f s", step.seconds) + "  \(step.detail)")
      }
      let passed = steps.filter(\.succeeded).count
      lines.append(
        "\(passed) of \(steps.count) steps succeeded" + (succeeded ? "" : "; node logs: node-N/node.log"))
      return lines.joined(separator: "\n")
    }
  }

  let layout: DevnetLayout
  /// Size of the synthetic CT study.
  var imageBytes = 6 << 20

  /// Runs the steps until one fails (later steps depend on earlier ones).
  func run() async -> Report {
    let recorder = StepRecorder()
    await DemoScript(layout: layout, imageBytes: imageBytes, recorder: recorder).run()
    return Report(steps: recorder.steps)
  }
}

/// Collects steps as the script runs.
final class StepRecorder: @unchecked Sendable {
  private let lock = NSLock()
  private var recorded: [DevnetDemo.Step] = []

  var steps: [DevnetDemo.Step] {
    lock.withLock { recorded }
  }

  /// Runs one step, printing its start and outcome; returns its value, or nil when it failed.
  func step<T: Sendable>(_ name: String, _ body: () async throws -> (T, String)) async -> T? {
    print("• \(name)")
    let started = Date()
    let step: DevnetDemo.Step
    let value: T?
    do {
      let (result, detail) = try await body()
      value = result
      step = DevnetDemo.Step(
        name: name, succeeded: true, detail: detail, seconds: Date().timeIntervalSince(started))
    } catch {
      value = nil
      step = DevnetDemo.Step(
        name: name, succeeded: false, detail: describe(error), seconds: Date().timeIntervalSince(started))
      print("  failed: \(step.detail)")
    }
    lock.withLock { recorded.append(step) }
    return value
  }
}

/// A failure of a demo check.
struct DemoFailure: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) {
    self.description = description
  }
}

/// One line for an error: a gRPC status as `CODE: message`.
func describe(_ error: any Error) -> String {
  if let rpc = error as? RPCError { return "\(rpc.code): \(rpc.message)" }
  return "\(error)"
}
