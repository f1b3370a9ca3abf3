/// One metric: its name, help text, type and samples.
public struct MetricFamily: Sendable {
    /// The Prometheus metric types this service exports.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// One label of a sample.
    public struct Label: Sendable, Equatable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One line of the exposition: the family's name plus `suffix` (`_bucket`, `_sum`, `_count`
    /// for histograms, empty otherwise), its labels and its value.
    public struct Sample: Sendable {
        public let suffix: String
        public let labels: [Label]
        public let value: Double
        public init(suffix: String = "", labels: [Label] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    public let name: String
    public let help: String
    public let type: Kind
    public var samples: [Sample]

    public init(name: String, help: String, type: Kind, samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// A family with one unlabelled sample.
    public static func single(_ name: String, _ help: String, _ type: Kind, _ value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, type: type, samples: [Sample(value: value)])
    }
}
