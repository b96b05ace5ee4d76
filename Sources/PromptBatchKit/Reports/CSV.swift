/// RFC 4180 cells, with text that a spreadsheet would run as a formula neutralised.
public enum CSV {
    /// Appends a text cell. A cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading
    /// `'` so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it.
    /// Quotes the cell when it holds a comma, quote, CR or LF.
    public static func appendText(_ text: String, to line: inout String) {
        guard !text.isEmpty else { return }
        var cell = text
        if let first = text.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D].contains(first) {
            cell = "'" + text
        }
        if cell.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
            line += "\""
            line += cell.replacingOccurrences(of: "\"", with: "\"\"")
            line += "\""
        } else {
            line += cell
        }
    }

    /// Appends a row of cells already formatted (numbers) or text (escaped), comma-separated, CRLF-terminated.
    public static func row(_ cells: [Cell]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += "," }
            switch cell {
            case .text(let text): appendText(text ?? "", to: &line)
            case .number(let number): if let number { line += number }
            }
        }
        line += "\r\n"
        return line
    }

    public enum Cell {
        case text(String?)
        /// Written as is: integers, plain decimals.
        case number(String?)
    }
}

import Foundation
