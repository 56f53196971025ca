import Foundation
import Testing
import ConclaveSecurity

@Suite struct BackupCodesTests {
    @Test func generatesTenDistinctWellFormedCodes() {
        let codes = BackupCodes.generate()
        #expect(codes.count == 10)
        #expect(Set(codes).count == 10)
        for code in codes {
            #expect(code.utf8.count == 9)
            #expect(Array(code)[4] == "-")
            #expect(code.allSatisfy { "0123456789abcdefghjkmnpqrstvwxyz-".contains($0) })
            #expect(BackupCodes.normalize(code) == code.replacingOccurrences(of: "-", with: ""))
        }
    }

    @Test func normalizationIgnoresCaseSeparatorsAndLookAlikes() {
        #expect(BackupCodes.normalize("ab12-cd34") == "ab12cd34")
        #expect(BackupCodes.normalize(" AB12 CD34 ") == "ab12cd34")
        #expect(BackupCodes.normalize("ab12cd34") == "ab12cd34")
        #expect(BackupCodes.normalize("AB1Z-OIL0") == "ab1z0110")
    }

    @Test func normalizationRejectsNonCodes() {
        #expect(BackupCodes.normalize("") == nil)
        #expect(BackupCodes.normalize("ab12-cd3") == nil)
        #expect(BackupCodes.normalize("ab12-cd345") == nil)
        #expect(BackupCodes.normalize("ab12-cd3u") == nil)   // U is excluded from the alphabet
        #expect(BackupCodes.normalize("ab12_cd34") == nil)
        #expect(BackupCodes.normalize(String(repeating: "a", count: 10_000)) == nil)
    }

    @Test func symbolsAreRoughlyUniform() {
        var counts: [Character: Int] = [:]
        for code in BackupCodes.generate(count: 2_000) {
            for symbol in code where symbol != "-" { counts[symbol, default: 0] += 1 }
        }
        // 16,000 symbols over 32 letters: 500 expected each; a biased generator would miss letters.
        #expect(counts.count == 32)
        #expect(counts.values.allSatisfy { (350...650).contains($0) })
    }
}
