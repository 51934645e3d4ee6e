import Wire

extension Role {
  /// The roles a participant or user may have (all but unspecified).
  public static let assignable: [Role] = [.patient, .clinician, .hospital, .lab, .auditor, .admin]

  /// True for a role a participant may have.
  public var isAssignable: Bool { Role.assignable.contains(self) }

  /// The lowercase name used on the command line, in tokens and in docs: `patient`, `clinician`,
  /// `hospital`, `lab`, `auditor`, `admin` (`unspecified`, or the number, otherwise).
  public var name: String {
    switch self {
    case .unspecified: return "unspecified"
    case .patient: return "patient"
    case .clinician: return "clinician"
    case .hospital: return "hospital"
    case .lab: return "lab"
    case .auditor: return "auditor"
    case .admin: return "admin"
    case .unrecognized(let number): return "\(number)"
    }
  }

  /// The assignable role with this lowercase name.
  public init?(name: String) {
    guard let role = Role.assignable.first(where: { $0.name == name }) else { return nil }
    self = role
  }
}
