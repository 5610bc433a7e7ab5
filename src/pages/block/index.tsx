/** Block page: reached by the DNR redirect `block.html#<original URL>`. */
import '../../ui/theme.css';
import '../../ui/notice-page.css';
import { startNoticePage } from '../../ui/notice-page.tsx';

startNoticePage('block');
