/// One request as the audit trail records it. Never a secret, a plaintext or a ciphertext.
public struct AuditRecord: Sendable, Equatable {
    public var atMilliseconds: Int64
    public var requestId: String
    public var appId: Int64?
    public var secretId: String?
    public var region: String
    public var action: String
    public var keyID: KeyID?
    /// "Success" or the Tencent error code.
    public var result: String
    public var client: String
    public var latencyMicroseconds: Int64
    /// How many requests the record stands for: 1, or more for a summary of unauthenticated
    /// failures (first request's id, time and latency; `action`/`region` "*" when they varied).
    public var occurrences: Int64
    /// Who acted: the sub-user's Uin, else the account's root Uin; nil before the signature
    /// checked out (and in records written before CAM).
    public var callerUin: Int64?
    /// The hosted data key the request named or acted on (issue 16), beside its CMK in `keyID`;
    /// nil for every other request. A data key id is a UUID like a CMK's, so it is a `KeyID`.
    public var dataKeyID: KeyID?

    public init(atMilliseconds: Int64, requestId: String, appId: Int64?, secretId: String?, region: String, action: String,
                keyID: KeyID?, result: String, client: String, latencyMicroseconds: Int64, occurrences: Int64 = 1,
                callerUin: Int64? = nil, dataKeyID: KeyID? = nil) {
        self.atMilliseconds = atMilliseconds; self.requestId = requestId; self.appId = appId; self.secretId = secretId
        self.region = region; self.action = action; self.keyID = keyID; self.result = result; self.client = client
        self.latencyMicroseconds = latencyMicroseconds; self.occurrences = occurrences; self.callerUin = callerUin
        self.dataKeyID = dataKeyID
    }

    /// The bytes the chain MAC covers, with the record's place in its lane: every field
    /// length-prefixed so no two records encode alike.
    public func chainEncoding(lane: String, laneSeq: Int64, previousMAC: [UInt8]) -> [UInt8] {
        var out = previousMAC
        out.reserveCapacity(previousMAC.count + 12 * 4 + 200)
        // Field by field, without gathering them in an array first (this runs once per request).
        func field(_ text: String) {
            out.appendUInt32(UInt32(text.utf8.count))
            out.append(contentsOf: text.utf8)
        }
        field(lane); field(String(laneSeq)); field(String(atMilliseconds)); field(requestId)
        field(appId.map { String($0) } ?? ""); field(secretId ?? ""); field(region); field(action)
        field(keyID?.description ?? ""); field(result); field(client); field(String(latencyMicroseconds))
        // Only summaries carry a count, so every record written before summaries existed still verifies.
        if occurrences != 1 { field(String(occurrences)) }
        // Likewise the caller's Uin, tagged so it can never read as a count: older records still verify.
        if let callerUin { field("caller_uin:" + String(callerUin)) }
        // And the data key, tagged too: a record without one encodes as before (nothing added when
        // nil), and its tag can never be read as a count, a caller or the end of a keyless record.
        if let dataKeyID { field("data_key_id:" + dataKeyID.description) }
        return out
    }

    /// The MAC a lane starts from.
    public static let genesisMAC = [UInt8](repeating: 0, count: 32)
}
