/// A configuration value that is one of a fixed set of names. The schema lists `allCases` as the
/// key's allowed values (``ConfigType/choice(of:)``) and the code that acts on the key switches
/// over the cases (``RunConfig/choice(_:as:)``), so the documentation, the parser and the code
/// share one list.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Sendable where RawValue == String {}

extension ConfigChoice {
    /// Every spelling, in declaration order.
    public static var names: [String] { allCases.map(\.rawValue) }
}

/// `model.role`: which file name a run's weights get.
public enum ModelRole: String, ConfigChoice {
    /// `teacher` when no teacher is given, else `student`.
    case auto, teacher, student
}

/// `optimizer.name`.
public enum OptimizerName: String, ConfigChoice {
    case adam, adamw, sgd
}

/// `optimizer.schedule`: the learning-rate schedule (``LearningRateSchedule``).
public enum ScheduleName: String, ConfigChoice {
    case constant, step, cosine
}

extension WeightInit: ConfigChoice {}

extension ConfigType {
    /// One of the names of `T`.
    public static func choice<T: ConfigChoice>(of _: T.Type) -> ConfigType { .choice(T.names) }
}

extension RunConfig {
    /// The value of choice key `key` as a case of `T` (the schema admits only `T`'s names).
    public func choice<T: ConfigChoice>(_ key: String, as _: T.Type = T.self) -> T {
        guard let value = T(rawValue: string(key)) else { preconditionFailure("\(key) is not a choice of \(T.self) in ConfigSchema") }
        return value
    }
}
