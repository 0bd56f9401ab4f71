# Tiếng Việt: the default language of the terminal.
# Every key here must exist in every other i18n/*.ftl (a test checks it).
language-name = Tiếng Việt

demo-badge = DEMO · Máy chưa được cài đặt cho xã/phường
counter-staff = { $counter } · Cán bộ: { $staff }
counter-only = { $counter }

question-default = Ông/Bà có hài lòng với việc giải quyết thủ tục hành chính hôm nay không?
question-hint = Chạm vào một ô để đánh giá
question-hint-read-aloud = Chạm vào một ô để đánh giá · Giữ ngón tay để nghe đọc

level-very-unsatisfied = Rất không hài lòng
level-unsatisfied = Không hài lòng
level-neutral = Bình thường
level-satisfied = Hài lòng
level-very-satisfied = Rất hài lòng

reasons-title = Ông/Bà chưa hài lòng vì điều gì?
reasons-hint = Có thể chọn nhiều ý
criteria-progress = Câu { $current } / { $total }
dossier-title = Mã hồ sơ (số biên nhận)
dossier-hint = Nhập bằng bàn phím số hoặc quét mã trên giấy biên nhận
dossier-empty = Chưa có mã hồ sơ

action-done = Xong
action-next = Tiếp tục
action-skip = Bỏ qua
action-delete = Xóa
action-clear = Xóa hết

thanks-title = Cảm ơn Ông/Bà!
thanks-body = Ý kiến của Ông/Bà đã được ghi nhận.
thanks-saving = Đang lưu ý kiến của Ông/Bà…
write-apology = Xin lỗi, máy đang gặp sự cố khi lưu. Ý kiến của Ông/Bà vẫn được giữ lại và máy sẽ tự lưu lại.
storage-unavailable = Máy không ghi được dữ liệu. Vui lòng báo cán bộ hoặc kỹ thuật viên.

# How the screens look, chosen by the citizen on the first screen (reset for the next one).
look-large-text = Chữ to
look-high-contrast = Tương phản cao

# The comment page (góp ý) and its on-screen keyboard (Telex: aa → â, dd → đ, s f r x j → dấu).
comment-title = Ông/Bà có góp ý gì thêm không?
comment-empty = Không bắt buộc. Gõ góp ý bằng bàn phím bên dưới. Gõ dấu kiểu Telex: aa → â, ow → ơ, dd → đ, s f r x j → sắc huyền hỏi ngã nặng.
comment-complaint = Đây là phản ánh, kiến nghị: tôi muốn được trả lời
comment-send = Gửi
key-space = Dấu cách
key-backspace = Xóa
key-shift = Chữ hoa
key-digits = 123
key-letters = ABC

# Consent to a call-back (Law 91/2025/QH15). CHANGING consent-body IN ANY LANGUAGE MEANS RAISING
# CONSENT_VERSION in src/screen/consent.rs: each stored consent names the text that was read.
consent-title = Ông/Bà có muốn để lại số điện thoại để được trả lời?
consent-body = Nếu Ông/Bà đồng ý, Ông/Bà nhập số điện thoại để cơ quan gọi lại trả lời phản ánh, kiến nghị này. Số điện thoại chỉ dùng để trả lời phản ánh này; không hiện lại trên máy, cán bộ tại quầy không xem được, và được xóa khỏi máy ngay khi đã gửi về máy chủ của tỉnh. Nếu không để lại số, phản ánh của Ông/Bà vẫn được ghi nhận đầy đủ. (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15)
consent-agree = Đồng ý, để lại số
consent-decline = Không để lại số
phone-title = Số điện thoại để cơ quan gọi lại
phone-hint = Số di động có 10 chữ số, ví dụ 0912 345 678
phone-empty = Chưa nhập số
phone-invalid = Số này chưa đúng. Số di động có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09; số cố định có 11 chữ số, bắt đầu bằng 02.

# Exports (CSV and Excel) for the commune's report: sheet names and column headings.
export-sheet-ratings = Đánh giá
export-sheet-tally = Tổng hợp
export-heading-time = Thời gian
export-heading-counter = Quầy
export-heading-staff = Cán bộ
export-heading-field = Lĩnh vực
export-heading-dossier = Mã hồ sơ
export-heading-level = Mức
export-heading-level-count = Số mức của thang
export-heading-level-word = Mức độ hài lòng
export-heading-reasons = Lý do chưa hài lòng
export-heading-suspected-repeat = Nghi đánh giá lặp
export-heading-dossier-repeat = Hồ sơ đã được đánh giá trước
export-heading-stage = Thời điểm đánh giá
export-heading-seq = Số thứ tự
export-heading-id = Mã đánh giá
export-heading-complaint = Phản ánh, kiến nghị
export-heading-comment = Góp ý
export-heading-callback = Số điện thoại gọi lại
export-heading-consent = Phiên bản nội dung đồng ý
export-callback-sent = (đã gửi về tỉnh, đã xóa khỏi máy)
export-stage-receipt = Khi tiếp nhận hồ sơ
export-stage-return = Khi trả kết quả
export-yes = Có
export-no = Không
export-tally-title = Tổng hợp kết quả đánh giá sự hài lòng
export-tally-commune = Xã/phường
export-tally-terminal = Máy đánh giá
export-tally-from = Từ ngày
export-tally-to = Đến ngày
export-tally-flagged = Đánh giá bị gắn cờ (nghi đánh giá lặp, hồ sơ đánh giá lại)
export-tally-flagged-excluded = Không tính vào tổng hợp
export-tally-flagged-included = Đã tính vào tổng hợp
export-heading-group = Nhóm
export-heading-name = Tên
export-heading-total = Tổng số đánh giá
export-heading-dossiers = Số hồ sơ
export-heading-dossiers-against = Số hồ sơ không hài lòng
export-heading-sipas = Tỷ lệ hài lòng SIPAS (%)
export-heading-rate-766 = Tỷ lệ hài lòng QĐ 766 (%)
export-group-terminal = Toàn máy
export-group-counter = Quầy
export-group-staff = Cán bộ
export-group-field = Lĩnh vực
export-group-none = (không xác định)
export-heading-reason = Lý do chưa hài lòng
export-heading-reason-count = Số lần được chọn
export-error-range = Ngày bắt đầu { $from } sau ngày kết thúc { $to }.
export-error-no-folder = Không có thư mục { $path } (USB đã được cắm chưa?).
export-error-is-folder = { $path } là một thư mục: hãy ghi tên tệp.
export-error-write = Không ghi được tệp { $path }: { $reason }
export-error-too-many-rows = Có { $count } đánh giá, quá { $max } dòng của một trang Excel: hãy xuất khoảng ngày ngắn hơn.
export-error-xlsx = Không tạo được tệp Excel: { $reason }
export-error-store = Không đọc được dữ liệu đánh giá: { $reason }

# The `hailong tally` and `hailong export` commands.
decimal-separator = ,
cli-percent = { $value }%
cli-no-share = —
cli-tally-title = Tổng hợp đánh giá từ ngày { $from } đến ngày { $to }
cli-tally-total = Tổng số đánh giá: { $total }
cli-tally-sipas = Tỷ lệ hài lòng SIPAS: { $share }
cli-tally-766 = Tỷ lệ hài lòng QĐ 766: { $rate } ({ $satisfied }/{ $dossiers } hồ sơ)
cli-tally-level = { $level }: { $count }
cli-tally-flagged-excluded = Đánh giá bị gắn cờ, không tính: { $count }
cli-tally-flagged-included = Đánh giá bị gắn cờ, đã tính: { $count }
cli-tally-by-counter = Theo quầy:
cli-tally-by-staff = Theo cán bộ:
cli-tally-by-field = Theo lĩnh vực:
cli-tally-reasons = Lý do chưa hài lòng:
cli-tally-group = { $name }: { $total } đánh giá · SIPAS { $share } · QĐ 766 { $rate }
cli-tally-reason = { $reason }: { $count }
cli-export-done = Đã ghi { $count } đánh giá vào { $path }
cli-export-tally-file = Bảng tổng hợp: { $path }
cli-error-bad-date = { $option }: "{ $value }" không phải là ngày; hãy viết NĂM-THÁNG-NGÀY, ví dụ 2026-03-31.
cli-error-bad-days = --days: phải từ 1 đến { $max }.

# Staff mode: PIN pad and the dashboard (tallies, charts, duty, sync, export).
staff-title = Chế độ cán bộ
staff-signed-in = Đang đăng nhập: { $name }
staff-supervisor = Giám sát viên
pin-title = Nhập mã PIN cán bộ
pin-hint = Cán bộ nhập mã PIN của mình, rồi bấm Đăng nhập
pin-wrong = Mã PIN không đúng. Còn { $left } lần thử.
pin-locked = Nhập sai quá nhiều lần. Thử lại sau { $seconds } giây.
pin-checking = Đang kiểm tra…
action-cancel = Hủy
action-sign-in = Đăng nhập
action-sign-out = Thoát
range-today = Hôm nay
range-7-days = 7 ngày
range-previous = Ngày trước
range-next = Ngày sau
range-with-repeats = Tính cả nghi lặp
kpi-flagged-included = Nghi lặp (đã tính)
range-30-days = 30 ngày
range-day = Ngày { $date }
range-span = Từ { $from } đến { $to }
kpi-total = Tổng số đánh giá
kpi-sipas = Hài lòng (SIPAS)
kpi-766 = Tỷ lệ hài lòng QĐ 766
kpi-flagged = Nghi lặp (không tính)
kpi-none = —
chart-hourly = Số đánh giá theo giờ
chart-daily = Tỷ lệ hài lòng theo ngày
chart-reasons = Lý do chưa hài lòng
chart-no-reasons = Chưa có lý do nào được chọn
chart-loading = Đang tính…
duty-on = { $counter }: { $staff } đang trực
duty-nobody = { $counter }: chưa có cán bộ trực
duty-start = Nhận ca tại { $counter }
duty-end = Kết thúc ca
sync-title = Gửi dữ liệu lên tỉnh
sync-not-linked = Máy chưa kết nối với máy chủ của tỉnh.
sync-queued = Đang chờ gửi: { $count } đánh giá
sync-last-success = Gửi thành công lần cuối: { $time }
sync-never = Chưa gửi thành công lần nào
sync-last-error = Lỗi gần nhất: { $error }
export-excel = Xuất Excel
export-csv = Xuất CSV
export-done = Đã ghi { $file }
export-target-usb = Tệp sẽ được ghi vào USB { $label }
export-target-local = Chưa thấy USB: tệp được ghi vào thư mục exports của máy

# First start: provisioning the terminal (technicians).
setup-title = Cài đặt máy đánh giá cho xã/phường
setup-hint = Nhập địa chỉ máy chủ của tỉnh và mã đăng ký một lần, hoặc chọn tệp cài đặt trên USB.
setup-from-server = Từ máy chủ của tỉnh
setup-server = Địa chỉ máy chủ
setup-code = Mã đăng ký
setup-enroll = Đăng ký
setup-from-usb = Từ USB
setup-no-file = Chưa thấy tệp cài đặt (.toml) trên USB
setup-rescan = Tìm lại
setup-working = Đang cài đặt…
setup-failed = Chưa cài đặt được: { $reason }
