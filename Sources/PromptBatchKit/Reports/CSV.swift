/// RFC 4180 cells, with text that a spreadsheet would run as a formula neutralised.
///
/// Cells are appended straight to a byte buffer: a report of a million rows makes no string per cell.
public enum CSV {
    /// Appends a text cell. A cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading
    /// `'` so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it.
    /// Quotes the cell when it holds a comma, quote, CR or LF.
    public static func appendText(_ text: String?, to bytes: inout [UInt8]) {
        guard let text, let first = text.utf8.first else { return }
        let neutralise = first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0D
        let quote = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        if quote { bytes.append(UInt8(ascii: "\"")) }
        if neutralise { bytes.append(UInt8(ascii: "'")) }
        if quote {
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: text.utf8)
        }
    }

    /// Appends an integer cell (nil: empty).
    public static func appendInteger(_ value: Int64?, to bytes: inout [UInt8]) {
        guard let value else { return }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends a row of cells already formatted (numbers) or text (escaped), comma-separated, CRLF-terminated.
    public static func appendRow(_ cells: [Cell], to bytes: inout [UInt8]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            switch cell {
            case .text(let text): appendText(text, to: &bytes)
            case .number(let number): if let number { bytes.append(contentsOf: number.utf8) }
            }
        }
        endRow(&bytes)
    }

    /// A row as a string (tests, small reports).
    public static func row(_ cells: [Cell]) -> String {
        var bytes: [UInt8] = []
        appendRow(cells, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func separator(_ bytes: inout [UInt8]) { bytes.append(UInt8(ascii: ",")) }
    static func endRow(_ bytes: inout [UInt8]) { bytes.append(contentsOf: [0x0D, 0x0A]) }

    public enum Cell {
        case text(String?)
        /// Written as is: integers, plain decimals.
        case number(String?)
    }
}
