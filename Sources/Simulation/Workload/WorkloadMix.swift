/// The kinds of transaction a simulated client submits, each a home side in the sender's shard and a
/// target side in the counterparty's shard (the same split as the real ledger's rules).
public enum LoadKind: String, Sendable, Hashable, Codable, CaseIterable {
  /// Tokens from the sender to a recipient: debited at home, credited at the target, refunded on abort.
  case transfer
  /// A record (PutRecord, a few KiB of content) by an author for a patient, stored in the patient's
  /// shard; its members vote it valid only if they hold the content.
  case record
  /// An image (PutImageManifest, megabytes of chunks replicated to the patient's shard before the
  /// manifest is submitted), checked like a record.
  case image
  /// A patient's grant to a grantee: created at home, copied to the grantee's shard, revoked on abort.
  case grant
}

/// The share of each ``LoadKind`` in a run's load, as relative weights.
public struct WorkloadMix: Sendable, Hashable, Codable {
  public var transfers: Double
  public var records: Double
  public var images: Double
  public var grants: Double

  public init(transfers: Double = 0, records: Double = 0, images: Double = 0, grants: Double = 0) {
    self.transfers = transfers
    self.records = records
    self.images = images
    self.grants = grants
  }

  /// Transfers only (where token accounting is the sharpest check).
  public static let transfersOnly = WorkloadMix(transfers: 1)
  /// A hospital consortium's day: mostly records and grants, some images and transfers.
  public static let healthcare = WorkloadMix(transfers: 20, records: 40, images: 10, grants: 30)

  /// The weight of `kind`.
  public func weight(_ kind: LoadKind) -> Double { self[keyPath: Self.field(kind)] }

  /// The field holding `kind`'s weight.
  static func field(_ kind: LoadKind) -> WritableKeyPath<WorkloadMix, Double> {
    switch kind {
    case .transfer: \.transfers
    case .record: \.records
    case .image: \.images
    case .grant: \.grants
    }
  }

  /// The kinds with a weight, in ``LoadKind`` order.
  public var kinds: [LoadKind] { LoadKind.allCases.filter { weight($0) > 0 } }

  /// A kind drawn in proportion to the weights; no draw when only one kind has weight, so a
  /// single-kind load consumes the same random numbers as before mixes existed.
  func pick(_ random: inout SeededRandom) -> LoadKind {
    let kinds = self.kinds
    guard kinds.count > 1 else { return kinds.first ?? .transfer }
    var point = random.unit() * kinds.reduce(0) { $0 + weight($1) }
    for kind in kinds {
      point -= weight(kind)
      if point < 0 { return kind }
    }
    return kinds.last!
  }

  /// `transfers=20,records=40,images=10,grants=30` (any subset, any order; missing kinds weigh 0).
  public init(parsing text: String) throws(SimulateUsageError) {
    self.init()
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = item.split(separator: "=", omittingEmptySubsequences: false)
      guard parts.count == 2, let kind = Self.kind(named: String(parts[0]).trimmingWhitespace),
        let weight = Double(String(parts[1]).trimmingWhitespace), weight >= 0, weight.isFinite
      else {
        throw SimulateUsageError(
          "\"\(item)\" in the mix is not KIND=WEIGHT: write e.g. transfers=20,records=40,images=10,grants=30 "
            + "(kinds: transfers, records, images, grants; weights ≥ 0)")
      }
      self[keyPath: Self.field(kind)] = weight
    }
    guard !kinds.isEmpty else {
      throw SimulateUsageError(
        "the mix \"\(text)\" gives every kind weight 0: give at least one a positive weight")
    }
  }

  /// The mix as `--mix` takes it.
  public var description: String {
    kinds.map { kind in
      let w = weight(kind)
      return "\(Self.pluralName(kind))=\(w == w.rounded() && w < 1e15 ? String(Int64(w)) : String(w))"
    }.joined(separator: ",")
  }

  static func pluralName(_ kind: LoadKind) -> String { kind.rawValue + "s" }

  static func kind(named name: String) -> LoadKind? {
    LoadKind.allCases.first { pluralName($0) == name || $0.rawValue == name }
  }
}
