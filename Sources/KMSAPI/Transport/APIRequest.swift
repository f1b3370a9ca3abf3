import KMSCore
import KMSHTTP

/// How a request is signed.
enum SignatureStyle: Equatable {
    /// `Authorization: TC3-HMAC-SHA256 …`; common parameters in X-TC-* headers.
    case tc3(TC3Authorization)
    /// The `Signature` parameter with HmacSHA1 or HmacSHA256; common parameters in the form.
    case v1(signature: String, method: String)
}

/// A request taken apart: common parameters, action parameters, and what the signature covers.
struct APIRequest {
    let http: HTTPRequest
    let action: String
    let version: String
    let region: String
    let english: Bool
    let timestamp: Int64
    let secretId: String
    let token: String?
    let style: SignatureStyle
    /// The action's own parameters (no common ones), as a JSON object.
    let parameters: JSONValue
    /// Whether `parameters` came from a form (every leaf a string, to be coerced).
    let fromForm: Bool
    /// For v1: every form parameter except Signature, decoded, for the string to sign.
    let signedPairs: [(String, String)]
    /// For v1: the `Nonce`, single-use with SecretId and Timestamp (`ReplayMemory`).
    let nonce: String

    /// The service asked for: TC3's signed scope names it; a v1 request is known by its Version.
    /// A TC3 scope naming no service served here falls back to the Version, so the signature check
    /// (which compares the scope with this) refuses it as before.
    let service: APIService?

    /// The v1 common parameters, which never reach an action.
    static let v1CommonNames: Set<String> = [
        "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature", "SignatureMethod",
        "Language", "Token", "RequestClient",
    ]

    /// Only the language is wanted before anything else can fail, so errors are localised.
    static func prefersEnglish(_ http: HTTPRequest) -> Bool {
        if let language = http.header("x-tc-language") { return language == "en-US" }
        return http.queryString.contains("Language=en-US")
            || (http.contentType.hasPrefix("application/x-www-form-urlencoded")
                && String(decoding: http.body.prefix(8192), as: UTF8.self).contains("Language=en-US"))
    }

    init(_ http: HTTPRequest) throws {
        guard !http.hasInvalidEncoding else { throw KMSError(.invalidParameter, "The request is not valid UTF-8.") }
        guard http.method == "POST" || http.method == "GET" else {
            throw KMSError(.invalidParameter, "Only GET and POST are supported.")
        }
        // A second X-TC-Action (or Region, Version, Authorization) would otherwise silently win.
        if let repeated = http.repeatedSignatureHeader {
            let name = String(repeated.dropFirst(5).map { $0 == "_" ? "-" : $0 })
            throw KMSError(.invalidParameter, "The header \(FormDecoding.sanitized(name)) appears more than once.")
        }
        if let authorization = http.header("authorization") {
            try self.init(tc3: http, authorization: authorization)
        } else {
            try self.init(v1: http)
        }
    }

    private init(tc3 http: HTTPRequest, authorization: String) throws {
        let auth = try TC3Authorization(parsing: authorization)
        let mediaType = APIRequest.mediaType(http.contentType)
        var fromForm = true
        let parameters: JSONValue
        if http.method == "GET" {
            parameters = try FormDecoding.unflatten(FormDecoding.pairs(http.queryString))
        } else if mediaType == "application/json" {
            fromForm = false
            if http.body.isEmpty {
                parameters = .object([])
            } else {
                guard let parsed = try? JSONValue.parse(http.body) else {
                    throw KMSError(.invalidParameter, "The request body is not valid JSON.")
                }
                guard case .object = parsed else { throw KMSError(.invalidParameter, "The request body must be a JSON object.") }
                parameters = parsed
            }
        } else if mediaType == "application/x-www-form-urlencoded" {
            parameters = try FormDecoding.unflatten(FormDecoding.pairs(try APIRequest.text(http.body)))
        } else {
            throw KMSError(.invalidParameter, "The Content-Type must be application/json or application/x-www-form-urlencoded.")
        }
        guard let action = http.header("x-tc-action"), !action.isEmpty else { throw KMSError.missing("X-TC-Action") }
        guard let version = http.header("x-tc-version"), !version.isEmpty else { throw KMSError.missing("X-TC-Version") }
        guard let timestampText = http.header("x-tc-timestamp") else { throw KMSError.missing("X-TC-Timestamp") }
        guard let timestamp = Int64(timestampText) else { throw KMSError.invalid("X-TC-Timestamp", "must be Unix seconds") }
        self.init(http: http, action: action, version: version, region: http.header("x-tc-region") ?? "",
                  english: http.header("x-tc-language") == "en-US", timestamp: timestamp, secretId: auth.secretId,
                  token: http.header("x-tc-token"), style: .tc3(auth), parameters: parameters, fromForm: fromForm, signedPairs: [],
                  nonce: "")
    }

    private init(v1 http: HTTPRequest) throws {
        let text = http.method == "GET" ? http.queryString : try APIRequest.text(http.body)
        if http.method == "POST" {
            let mediaType = APIRequest.mediaType(http.contentType)
            guard mediaType == "application/x-www-form-urlencoded" else {
                throw KMSError(.authFailureInvalidAuthorization, "The request carries neither an Authorization header nor a form Signature.")
            }
        }
        let pairs = try FormDecoding.pairs(text)
        var common: [String: String] = [:]
        var own: [(String, String)] = []
        for (name, value) in pairs {
            if APIRequest.v1CommonNames.contains(name) { common[name] = value } else { own.append((name, value)) }
        }
        guard let signature = common["Signature"] else {
            throw KMSError(.authFailureInvalidAuthorization, "The request carries neither an Authorization header nor a Signature parameter.")
        }
        guard let action = common["Action"], !action.isEmpty else { throw KMSError.missing("Action") }
        guard let version = common["Version"], !version.isEmpty else { throw KMSError.missing("Version") }
        guard let secretId = common["SecretId"], !secretId.isEmpty else { throw KMSError.missing("SecretId") }
        guard let timestampText = common["Timestamp"] else { throw KMSError.missing("Timestamp") }
        guard let timestamp = Int64(timestampText) else { throw KMSError.invalid("Timestamp", "must be Unix seconds") }
        guard let nonce = common["Nonce"], !nonce.isEmpty else { throw KMSError.missing("Nonce") }
        let method = common["SignatureMethod"] ?? "HmacSHA1"
        guard method == "HmacSHA1" || method == "HmacSHA256" else {
            throw KMSError.invalidValue("SignatureMethod", "must be HmacSHA1 or HmacSHA256")
        }
        self.init(http: http, action: action, version: version, region: common["Region"] ?? "",
                  english: common["Language"] == "en-US", timestamp: timestamp, secretId: secretId, token: common["Token"],
                  style: .v1(signature: signature, method: method), parameters: try FormDecoding.unflatten(own),
                  fromForm: true, signedPairs: pairs.filter { $0.0 != "Signature" }, nonce: nonce)
    }

    /// The media type of a Content-Type value, lower-cased, without parameters.
    static func mediaType(_ contentType: String) -> String {
        let utf8 = contentType.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        let type = contentType[..<end].trimmingASCIIWhitespace()
        return type.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? type.lowercased() : type
    }

    /// A form body as text; invalid UTF-8 is refused, never repaired.
    static func text(_ body: [UInt8]) throws -> String {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw KMSError(.invalidParameter, "The request body is not valid UTF-8.")
        }
        return text
    }

    private init(http: HTTPRequest, action: String, version: String, region: String, english: Bool, timestamp: Int64,
                 secretId: String, token: String?, style: SignatureStyle, parameters: JSONValue, fromForm: Bool,
                 signedPairs: [(String, String)], nonce: String) {
        self.http = http; self.action = action; self.version = version; self.region = region; self.english = english
        self.timestamp = timestamp; self.secretId = secretId; self.token = token; self.style = style
        self.parameters = parameters; self.fromForm = fromForm; self.signedPairs = signedPairs; self.nonce = nonce
        if case .tc3(let auth) = style, let named = APIService(rawValue: auth.service) {
            service = named
        } else {
            service = APIService(version: version)
        }
    }
}
