# Tiếng Việt: the default language of the terminal.
# Every key here must exist in every other i18n/*.ftl (a test checks it).
language-name = Tiếng Việt

demo-badge = DEMO · Máy chưa được cài đặt cho xã/phường
counter-staff = { $counter } · Cán bộ: { $staff }
counter-only = { $counter }

question-default = Ông/Bà có hài lòng với việc giải quyết thủ tục hành chính hôm nay không?
question-hint = Chạm vào một ô để đánh giá

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
