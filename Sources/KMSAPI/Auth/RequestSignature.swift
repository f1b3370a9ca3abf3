import KMSCore
import KMSCrypto

/// Verifies both Tencent signature versions (SPEC §1) against a credential's secret key.
enum RequestSignature {
    /// The clock skew allowed between a request's timestamp and server time.
    static let maximumSkew: Int64 = 300

    static func checkTimestamp(_ timestamp: Int64, now: Int64) throws {
        // Bounds around `now`, never `now - timestamp`: a caller's timestamp near Int64.min overflows that.
        guard timestamp >= now - maximumSkew, timestamp <= now + maximumSkew else { throw KMSError(.authFailureSignatureExpire) }
    }

    static func verify(_ request: APIRequest, secretKey: SecureBytes, signingKeys: SigningKeyCache? = nil) throws {
        switch request.style {
        case .tc3(let auth): try verifyTC3(request, auth, secretKey: secretKey, signingKeys: signingKeys)
        case .v1(let signature, let method): try verifyV1(request, signature: signature, method: method, secretKey: secretKey)
        }
    }

    // MARK: TC3-HMAC-SHA256

    static func verifyTC3(_ request: APIRequest, _ auth: TC3Authorization, secretKey: SecureBytes,
                          signingKeys: SigningKeyCache? = nil) throws {
        guard auth.service == request.service?.rawValue, auth.date == utcDate(request.timestamp) else {
            throw KMSError(.authFailureSignatureFailure, "The credential scope does not match the service or the timestamp's date.")
        }
        var values: [ArraySlice<UInt8>] = []
        values.reserveCapacity(auth.signedHeaders.count)
        for name in auth.signedHeaders {
            guard let value = request.http.header(name) else {
                throw KMSError(.authFailureSignatureFailure, "A signed header is missing from the request.")
            }
            values.append(Array(value.utf8)[...].trimmingASCIIWhitespace())
        }
        let payloadHash: [UInt8]
        if request.http.header("x-tc-content-sha256") == "UNSIGNED-PAYLOAD" {
            payloadHash = Array(Digest.sha256Hex(Array("UNSIGNED-PAYLOAD".utf8)).utf8)
        } else {
            payloadHash = Array(Digest.sha256Hex(request.http.method == "GET" ? [] : request.http.body).utf8)
        }
        let query = request.http.method == "GET" ? request.http.queryString : ""
        let signingKey = signingKeys?.key(secretId: auth.secretId, date: auth.date, service: auth.service, secretKey: secretKey)
            ?? tc3SigningKey(secretKey: secretKey, date: auth.date, service: auth.service)
        func matches(lowercasingValues lower: Bool) -> Bool {
            // The canonical request, built as bytes (this runs on every request).
            var canonical: [UInt8] = []
            canonical.reserveCapacity(256 + request.http.method.utf8.count + query.utf8.count)
            canonical.append(contentsOf: request.http.method.utf8)
            canonical.append(contentsOf: [0x0A, 0x2F, 0x0A])  // "\n/\n"
            canonical.append(contentsOf: query.utf8)
            canonical.append(0x0A)
            for (name, value) in zip(auth.signedHeaders, values) {
                canonical.append(contentsOf: name.utf8)
                canonical.append(0x3A)  // ':'
                if lower {
                    for c in value { canonical.append(c >= 0x41 && c <= 0x5A ? c + 32 : c) }
                } else {
                    canonical.append(contentsOf: value)
                }
                canonical.append(0x0A)
            }
            canonical.append(0x0A)
            for (index, name) in auth.signedHeaders.enumerated() {
                if index > 0 { canonical.append(0x3B) }  // ';'
                canonical.append(contentsOf: name.utf8)
            }
            canonical.append(0x0A)
            canonical.append(contentsOf: payloadHash)
            let signature = tc3SignatureHex(date: auth.date, service: auth.service, timestamp: request.timestamp,
                                            canonicalRequest: canonical, signingKey: signingKey)
            return ConstantTime.equals(signature, auth.signatureBytes)
        }
        // Tencent's documentation lower-cases canonical header values; its SDKs sign them as sent
        // (identical for the usual lower-case content-type and host). Either form is accepted, and
        // the common all-lower-case request costs one signature.
        let hasUpperCase = values.contains { $0.contains { $0 >= 0x41 && $0 <= 0x5A } }
        guard matches(lowercasingValues: true) || (hasUpperCase && matches(lowercasingValues: false)) else {
            throw KMSError(.authFailureSignatureFailure)
        }
    }

    /// The TC3 signature of a canonical request (public for the known-answer test).
    static func tc3Signature(secretKey: SecureBytes, date: String, service: String, timestamp: Int64,
                             canonicalRequest: String, signingKey cached: SecureBytes? = nil) -> String {
        let signingKey = cached ?? tc3SigningKey(secretKey: secretKey, date: date, service: service)
        return String(decoding: tc3SignatureHex(date: date, service: service, timestamp: timestamp,
                                                canonicalRequest: Array(canonicalRequest.utf8), signingKey: signingKey),
                      as: UTF8.self)
    }

    /// Lower-case hex of HMAC-SHA256(signingKey, StringToSign), as bytes.
    static func tc3SignatureHex(date: String, service: String, timestamp: Int64, canonicalRequest: [UInt8],
                                signingKey: SecureBytes) -> [UInt8] {
        var stringToSign: [UInt8] = Array("TC3-HMAC-SHA256\n".utf8)
        stringToSign.reserveCapacity(160)
        stringToSign.append(contentsOf: String(timestamp).utf8)
        stringToSign.append(0x0A)
        stringToSign.append(contentsOf: date.utf8)
        stringToSign.append(0x2F)
        stringToSign.append(contentsOf: service.utf8)
        stringToSign.append(contentsOf: "/tc3_request\n".utf8)
        stringToSign.append(contentsOf: Hex.encodeBytes(Digest.sha256(canonicalRequest)))
        return Hex.encodeBytes(HMAC.sha256(key: signingKey, data: stringToSign))
    }

    /// The HMAC chain "TC3"+SecretKey → date → service → "tc3_request". It changes once a day per
    /// credential, so callers cache it (`SigningKeyCache`).
    static func tc3SigningKey(secretKey: SecureBytes, date: String, service: String) -> SecureBytes {
        // Built straight into a zeroing buffer, so no plain copy of the secret outlives this call.
        var seed = SecureBytes(zeros: 3 + secretKey.count)
        seed.withUnsafeMutableBytes { out in
            out.copyBytes(from: Array("TC3".utf8))
            secretKey.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[3...]).copyMemory(from: $0) }
        }
        let dateKey = SecureBytes(HMAC.sha256(key: seed, data: Array(date.utf8)))
        let serviceKey = SecureBytes(HMAC.sha256(key: dateKey, data: Array(service.utf8)))
        return SecureBytes(HMAC.sha256(key: serviceKey, data: Array("tc3_request".utf8)))
    }

    /// `YYYY-MM-DD` of a Unix time, in UTC (Howard Hinnant's civil-from-days).
    static func utcDate(_ timestamp: Int64) -> String {
        let (year, month, day) = CivilDate.of(daysSinceEpoch: Int((Double(timestamp) / 86400).rounded(.down)))
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    // MARK: v1 (HmacSHA1 / HmacSHA256)

    static func verifyV1(_ request: APIRequest, signature: String, method: String, secretKey: SecureBytes) throws {
        let host = request.http.header("host") ?? ""
        let sorted = request.signedPairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let stringToSign = request.http.method + host + "/?" + sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        // unsafeCopy shares the secret's buffer (copy-on-write), so no second copy is made.
        let mac = method == "HmacSHA256"
            ? HMAC.sha256(key: secretKey, data: Array(stringToSign.utf8))
            : HMAC.sha1(key: secretKey.unsafeCopy, data: Array(stringToSign.utf8))
        guard ConstantTime.equals(Array(Base64.encode(mac).utf8), Array(signature.utf8)) else {
            throw KMSError(.authFailureSignatureFailure)
        }
    }
}
